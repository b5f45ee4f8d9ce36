"""``python -m shadeos_core`` is ``kin``."""
from .cli.main import main

main()
