"""Reports for the monthly review (issue 14): one module per metric family.

``search`` (search and content gaps), ``selfservice`` (deflection), ``articles``, ``tickets``;
``summary`` puts them together for a period, a role and a group; ``charts`` draws SVG;
``document`` writes the monthly review; ``searchlog`` records searches. Formulas: README.md.
"""
