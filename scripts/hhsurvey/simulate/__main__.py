"""``python -m hhsurvey.simulate``: write a synthetic round (see :mod:`.simulator`)."""

from hhsurvey.simulate.simulator import main

if __name__ == "__main__":
    main()
