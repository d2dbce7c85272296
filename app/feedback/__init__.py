"""Article feedback: readers' votes, escalation into tickets, article health and ranking signals.

* ``votes``      — one vote per person per article (changeable), reasons and comments.
* ``escalation`` — 「转人工处理」: a 没有解决我的问题 vote becomes a ticket and joins the article's fix task.
* ``fixtasks``   — one open fix task per failing article; a new version closes it.
* ``health``     — what writers and agents see: views, helpful %, reasons, escalations, attention score.
* ``ranking``    — per-slug score multipliers for the search engine (helpfulness × popularity).
* ``ratelimit``  — sliding-window limits per person and per address, shared by all workers.
"""
