"""Entity resolution: one entity across sources, decided by people, proposed by rules.

- :mod:`kg.resolve.names`: the forms names are compared in (normalised, pinyin) and the
  index that finds an entity by any of its names;
- :mod:`kg.resolve.judgements`: the judgements file (same / not the same / unsure), read,
  checked and applied by the build;
- :mod:`kg.resolve.candidates`: the pairs a person should judge, with their evidence
  (``kg resolve``).

No rule merges two entities: rules only propose; a recorded "same" judgement merges, and a
"not the same" judgement blocks any merge of the two.
"""
