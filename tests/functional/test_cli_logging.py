"""`--debug` shows the debug messages of elt's loggers (logging.getLogger("elt...")) on stderr."""

from __future__ import annotations

import os
import subprocess
import sys

MODELS = {"seeds/base.csv": "id\n1\n", "models/marts/a.sql": "select id from {{ ref('base') }}\n"}


def test_debug_shows_elt_debug_messages_in_process(project):
    proj = project(MODELS)
    result = proj.elt("build", "--debug")
    assert result.exit_code == 0, result.output
    assert "debug elt.cli.invocation: compiled 2 node(s): 1 file(s) rendered" in result.stderr
    assert "debug elt.cli.build_commands: the run translated" in result.stderr
    # The next command without --debug is quiet again (the handler is not left behind).
    quiet = proj.elt("build")
    assert quiet.exit_code == 0 and "debug" not in quiet.stderr


def test_group_debug_option_in_a_new_process(project):
    proj = project(MODELS)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    command = [sys.executable, "-m", "elt"]
    done = subprocess.run([*command, "--debug", "ls", "--project-dir", str(proj.root)], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "debug elt.cli.invocation: compiled 2 node(s)" in done.stderr
    assert done.stdout.split() == ["base", "a"]
    plain = subprocess.run([*command, "ls", "--project-dir", str(proj.root)], capture_output=True, text=True,
                           env=env, timeout=120)
    assert plain.returncode == 0 and "debug" not in plain.stderr
