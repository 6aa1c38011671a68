"""Honest control: an import and a call that each take most of a call_timeout (1 s)."""

import time

time.sleep(0.7)


def work(seconds):
    time.sleep(seconds)
    return seconds
