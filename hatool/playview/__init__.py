"""What an operator sees while hatool runs a playbook.

The callback plugin ``plugins/callback/hatool_events.py`` writes the
playbook's events (plays, tasks, per-host results) as JSON lines
(:mod:`~hatool.playview.events`); :class:`~hatool.playview.state.Run` folds
them into phases, per-host counters, failures and task times;
:mod:`~hatool.playview.render` turns that into progress lines and the summary
table; :mod:`~hatool.playview.timings` says where the time went;
:mod:`~hatool.playview.runner` runs ansible-playbook with its raw output in a
log file and the view on the terminal. Any command that runs a playbook can
use it (``hatool deploy`` does).
"""
