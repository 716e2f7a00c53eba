"""``python -m trunkline`` runs the command line."""

from trunkline.cli.main import main

main()
