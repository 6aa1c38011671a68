"""``nbgrader collect`` without following links (the course config's ``ExchangeFactory.collect``).

Why: nbgrader's collect copies each submission out of the exchange's inbound folder (which
students write) with ``shutil.copytree``, which follows symbolic links: a link to the
reference ``losses.py`` or a classmate's notebook arrives in ``submitted/`` as a plain copy
of it, with nothing left for the scrub (``nbgrader_scrub``) to see. ``CollectKeepingLinks``
copies links as links (the scrub deletes them at autograde and says so), skips FIFOs,
sockets and devices (never opened) and refuses an inbound submission that is itself a link;
everything else is nbgrader's collect.
"""

from __future__ import annotations

import os
import shutil
import stat
from typing import Any

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.utils import ignore_patterns


class CollectKeepingLinks(ExchangeCollect):
    """nbgrader's collect; its copy never follows a link (see the module docstring)."""

    def do_copy(self, src: str, dest: str, log: Any = None) -> None:
        """Copy the inbound submission ``src`` to ``dest`` as nbgrader does (ignore and
        include patterns, size caps), links as links, special files left out."""
        if os.path.islink(src):
            raise RuntimeError(f"{src} is a symbolic link; it is not collected")
        size, cap = self.get_size(src), 1000 * self.coursedir.max_dir_size
        if size > cap:
            raise RuntimeError(f"Directory size is too big. Size is {size}, maximum size "
                               f"is {cap}")
        shutil.copytree(src, dest, symlinks=True, copy_function=self._copy_regular,
                        ignore=ignore_patterns(exclude=self.coursedir.ignore,
                                               include=self.coursedir.include,
                                               max_file_size=self.coursedir.max_file_size,
                                               log=self.log))

    def _copy_regular(self, src: str, dest: str) -> None:
        if stat.S_ISREG(os.lstat(src).st_mode):
            shutil.copy2(src, dest, follow_symlinks=False)
        else:
            self.log.warning("Not collected: %s is not a regular file", src)
