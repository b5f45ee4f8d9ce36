"""A third-party plugin for the tests: a tool and a coder through the agents plugin's own hooks."""
from shadeos_agents import AgentTool, Coder, CoderResult, ToolError
from shadeos_core import hookimpl


def shout(ctx, args):
    if not args["path"]:
        raise ToolError("which file?")
    _rel, text = ctx.gate.read(args["path"])
    return text.upper()


class Stamp(Coder):
    description = "writes the task into STAMP.txt"

    def run(self, job):
        self.agent.gate.edit("STAMP.txt", "", job.task + "\n")
        return CoderResult("ok", summary="stamped")


@hookimpl
def register_tools(register):
    register("shout", AgentTool("Read a file in capitals.",
                                {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
                                shout))


@hookimpl
def register_coders(register):
    register("stamp", Stamp)
