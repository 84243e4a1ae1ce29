"""Run Inkseal from a checkout: `python main.py` opens the window, `python main.py --help`."""

from inkseal.main import main

if __name__ == "__main__":
    raise SystemExit(main())
