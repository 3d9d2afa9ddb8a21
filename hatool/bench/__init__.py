"""``hatool bench``: measure deploys, the floor, validation, start-up and drills; report with plots.

- :mod:`~hatool.bench.inventories`: generated inventories of N hosts;
- :mod:`~hatool.bench.measure`: timing whole processes (the CLI as operators run it);
- :mod:`~hatool.bench.floor`: the floor, the least any deploy can cost;
- :mod:`~hatool.bench.run`: the whole benchmark on fresh labs, into ``results.json``;
- :mod:`~hatool.bench.figures`: the figures read out of ``results.json`` (medians of the runs);
- :mod:`~hatool.bench.ratios`: the ratios between them, each beside its target;
- :mod:`~hatool.bench.drills`: takeovers and request timelines out of the drill reports;
- :mod:`~hatool.bench.plots`: the PNG plots (matplotlib, imported only to draw them);
- :mod:`~hatool.bench.report`: ``report.md``, its tables and the plots it shows.

A benchmark, not a test: it asserts nothing; the report states each ratio
beside its target. Figures from a shared machine are noisy: the report says
how loaded the machine was.
"""
