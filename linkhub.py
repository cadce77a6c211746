"""Shim so a checkout runs without installing: `python linkhub.py serve` == `linkhub serve`."""

from linkhub.cli import main

if __name__ == "__main__":
    main(prog_name="linkhub")
