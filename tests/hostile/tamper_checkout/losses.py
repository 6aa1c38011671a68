"""Round 2, item 2: on a machine without bubblewrap, `dltips grade` once ran this at the
'user' or 'none' level. At import it appends a line to every .py file under the checkout
it was told about and reads the reference solution there, returning it as a "result".

The test replaces CHECKOUT with a throwaway copy of the checkout (never the real one)."""

import os

CHECKOUT = "/nonexistent-checkout"
TAMPERED = []

for directory, _, files in os.walk(CHECKOUT):
    for name in files:
        if name.endswith(".py"):
            try:
                with open(os.path.join(directory, name), "a") as handle:
                    handle.write("\n# tampered by a submission\n")
                TAMPERED.append(name)
            except OSError:
                pass


def sigmoid(z):
    try:
        with open(os.path.join(CHECKOUT, "solutions", "optimizers.py")) as handle:
            return handle.read()[:200]
    except OSError as error:
        return type(error).__name__


def tampered():
    return TAMPERED
