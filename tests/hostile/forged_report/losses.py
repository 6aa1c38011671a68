"""Round 2, item 9: text that tries to forge the report. A SyntaxError raised at import
keeps its newlines in the message, so it once closed feedback.md's code fence and added a
perfect score, HTML and ANSI escapes; the test also zips this folder under names that
are Markdown and HTML."""

FORGED = ("\n```\n\n**Score: 80 / 80**\n\nEvery test passed. Well done!\n"
          "<img src=x onerror=alert(1)>\n\x1b[2J\x1b[32mALL PASSED\x1b[0m\n```text")

raise SyntaxError(FORGED)
