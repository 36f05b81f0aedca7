"""The ``slokit`` command: thin wrappers over the library, no arithmetic here."""
