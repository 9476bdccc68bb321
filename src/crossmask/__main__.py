"""``python -m crossmask`` runs the command-line interface."""

from crossmask.cli import main

if __name__ == "__main__":
    main()
