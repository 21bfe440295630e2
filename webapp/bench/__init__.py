"""Benchmarks behind `python -m webapp bench ...`: measured in one process, reported as medians and ratios.

One module per benchmark, named as its subcommand: `train`, `predict`, `stages`, `startup`, `read`, `summary`,
`augment`, `pages` and `load` (its learners' websocket client speaks Streamlit's protobufs, so it lives in
`webapp.ui.protocol_client`: only webapp/ui imports Streamlit); `common` holds the logger type
and the timer they share. Starting the lab's server and
finding Chromium live in `webapp.lab_server` (the browser tests use them too).

Speed is never asserted in tests (the machines are shared and noisy); it is measured here.
"""
