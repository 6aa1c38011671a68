"""The class report (``dltips report``): one self-contained HTML page per graded class.

It reads what ``dltips grade`` wrote (per-submission ``results.json`` and ``feedback.md``,
the class ``grades.csv``), never grades anything and never changes a grade:

``graded``      load a graded folder into plain records (bad folders become notes);
``statistics``  score distribution, pass rate per function, diagnosed mistakes, item analysis;
``similarity``  pairs of unusually similar submissions (copydetect's winnowing, boilerplate
                excluded);
``figures``     the matplotlib (Agg) figures, as PNG bytes;
``tables``      a table once, written as HTML and as CSV;
``page``        the HTML page (everything from a submission escaped);
``build``       the steps chained: folder in, report.html and CSV files out.

May import: ``autograder.classreport``, ``autograder.grading`` (the report helpers, staging)
and ``autograder.course`` (the contract, the stubs and reference as boilerplate).
Must never be imported by: ``autograder.sandbox``, ``autograder.grading``,
``autograder.course``. It only reads grading outputs.
"""
