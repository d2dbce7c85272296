"""The writers' workspace: write, preview, review and publish articles in the browser.

One module per concept (see README.md next to this file): ``content`` (what a writer edits,
validated), ``workflow`` (states, saves, publishing), ``diff``, ``merge`` (three-way merge of
a save from an older revision), ``lint`` (rendering warnings),
``links`` (internal links, 「失效链接」), ``review`` (review-by dates), ``kcs`` (drafts from
tickets), ``files`` (front matter, ``kb export``), ``images``, ``autosave``, ``inbox``,
``present`` (the ARTICLE JSON) and ``cli``.
"""
