# SPDX-License-Identifier: MIT
"""Configuration errors and precedence (README: Options, Exit codes, Logs).

Every bad setting makes pidone exit 64 (usage) or 78 (configuration)
before anything starts, with one JSON error record on stderr that names
where the value came from (--option, PIDONE_VAR or file:line) and quotes
the bad value, and nothing on stdout. The child must never run: each case
uses a command that would create a file, and the test checks it is absent.
"""

import json
import os
import re
import signal
import time

import pidone_harness as h

USAGE = 64
CONFIG = 78
# The README's Exit codes list "value" under 78, wherever the value came from.
BAD_VALUE = (CONFIG,)

OK_CMD = h.python_child("print('child ran', flush=True)")


class ConfigErrors(h.TestCase):

    def write(self, text, name="pidone.ini"):
        path = os.path.join(self.tmpdir(), name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def check(self, opts=(), env=None, cmd=None, codes=(USAGE,),
              names=(), mode="subreaper", defaults=True, separator=True,
              offset=None):
        """Run a bad configuration; return the Pidone for more checks.

        @names   strings that must all appear in the error records
        @offset  byte offsets, one of which must appear as a number
        """
        cmd = OK_CMD if cmd is None else cmd
        p = self.run_pidone(cmd, opts, env=env, mode=mode,
                            defaults=defaults, separator=separator,
                            timeout=10)
        where = "opts %s env %s" % (list(opts), env)
        self.assertIn(p.returncode, codes, "%s: exit %s, expected %s%s"
                      % (where, p.returncode, codes, p.describe()))
        self.assertNotIn("child ran", p.stdout(),
                         "%s: the child ran despite the error" % where)
        self.assertEqual(p.stdout(), "", where + ": stdout is not empty")
        records = p.logs()
        errors = [r for r in records if r.get("level") == "error"]
        self.assertTrue(errors, where + ": no error record" + p.describe())
        text = "\n".join(h.flatten(r) for r in errors)
        for n in names:
            # Quoted text may come back escaped C/JSON style: \" and \\.
            forms = {str(n), json.dumps(str(n))[1:-1]}
            self.assertTrue(any(f in text for f in forms),
                            "%s: the error does not name %r%s"
                            % (where, n, p.describe()))
        if offset is not None:
            found = {int(x) for x in re.findall(r"\b\d+\b", text)}
            self.assertTrue(found & set(offset),
                            "%s: no byte offset %s in the error%s"
                            % (where, offset, p.describe()))
        return p

    # -- the command line ---------------------------------------------------

    def test_unknown_option(self):
        self.check(["--bogus-option"], names=["--bogus-option"])

    def test_unknown_short_option(self):
        self.check(["-Z"], names=["Z"])

    def test_missing_option_value(self):
        self.check(["--grace"], cmd=[], separator=False, names=["--grace"])

    def test_no_command(self):
        self.check([], cmd=[], separator=False)

    def test_no_command_after_separator(self):
        self.check([], cmd=[])

    def test_no_command_as_pid1(self):
        self.check([], cmd=[], mode="pid1")

    def test_bad_cli_values(self):
        cases = [
            ("--grace", "abc"),
            ("--grace", "-1"),
            ("--grace", "1x"),
            ("--forward", "sideways"),
            ("--rewrite", "TERM"),
            ("--rewrite", "TERM:NOPE"),
            ("--rewrite", "NOPE:TERM"),
            ("--rewrite", "KILL:TERM"),
            ("--success-exit", "256"),
            ("--success-exit", "abc"),
            ("--restart", "sometimes"),
            ("--restart-max", "lots"),
            ("--health-port", "65536"),
            ("--log-format", "xml"),
            ("--log-level", "loud"),
        ]
        for opt, value in cases:
            with self.subTest(opt=opt, value=value):
                self.check([opt, value], codes=BAD_VALUE,
                           names=[opt, value])

    def test_bad_value_as_pid1(self):
        self.check(["--grace", "soon"], codes=BAD_VALUE, mode="pid1",
                   names=["--grace", "soon"])

    # -- the environment ----------------------------------------------------

    def test_bad_env_values(self):
        cases = [
            # (variable, value, the bad part the error must quote)
            ("PIDONE_GRACE", "abc", "abc"),
            ("PIDONE_FORWARD", "sideways", "sideways"),
            ("PIDONE_REWRITE", "TERM:NOPE", "NOPE"),
            ("PIDONE_SUCCESS_EXIT", "0,256", "256"),
            ("PIDONE_RESTART", "sometimes", "sometimes"),
            ("PIDONE_RESTART_MAX", "-3", "-3"),
            ("PIDONE_LOG_FORMAT", "xml", "xml"),
        ]
        for var, value, bad in cases:
            with self.subTest(var=var, value=value):
                self.check([], env={var: value}, codes=(CONFIG,),
                           names=[var, bad])

    # -- the config file ----------------------------------------------------

    def test_missing_named_config_file(self):
        path = "/nonexistent-pidone-it/pidone.ini"
        self.check(["--config", path], codes=(CONFIG,), names=[path])
        self.check([], env={"PIDONE_CONFIG": path}, codes=(CONFIG,),
                   names=[path])

    def test_named_config_path_with_control_bytes(self):
        # The path is shown as given but escaped: the message stays one
        # line, in both log formats.
        path = "/nonexistent-pidone-it/a\nb\tc.ini"
        shown = "cannot open /nonexistent-pidone-it/a\\nb\\tc.ini"
        p = self.check(["--config", path], codes=(CONFIG,), names=[shown])
        self.assertEqual(p.stderr().count("\n"), 1, p.describe())
        p = self.run_pidone(OK_CMD, ["--config", path, "--log-format",
                                     "text"], timeout=10)
        self.assertEqual(p.returncode, CONFIG, p.describe())
        self.assertEqual(len(p.stderr_lines()), 1, p.describe())
        self.assertIn(shown, p.stderr(), p.describe())

    def test_ini_unknown_section(self):
        path = self.write("[process]\ngrace = 1\n[bogus]\nx = 1\n")
        self.check(["--config", path], codes=(CONFIG,),
                   names=["%s:3" % path, "bogus"])

    def test_ini_unknown_key(self):
        path = self.write("# comment\n[process]\nbogus_key = 1\n")
        self.check(["--config", path], codes=(CONFIG,),
                   names=["%s:3" % path, "bogus_key"])

    def test_ini_key_in_wrong_section(self):
        path = self.write("[signals]\ngrace = 1\n")
        self.check(["--config", path], codes=(CONFIG,),
                   names=["%s:2" % path, "grace"])

    def test_ini_bad_values(self):
        cases = [
            ("process", "grace", "abc"),
            ("signals", "forward", "sideways"),
            ("signals", "rewrite", "TERM:NOPE"),
            ("process", "success_exit", "256"),
            ("process", "restart", "sometimes"),
            ("log", "format", "xml"),
        ]
        for section, key, value in cases:
            with self.subTest(key=key, value=value):
                path = self.write("; pidone test\n\n[%s]\n%s = %s\n"
                                  % (section, key, value))
                self.check(["--config", path], codes=(CONFIG,),
                           names=["%s:4" % path, value])

    def test_ini_line_too_long(self):
        value = "a" * 200
        path = self.write("[process]\nuser = %s\n" % value)
        self.check(["--config", path], codes=(CONFIG,),
                   names=["%s:2" % path])

    def test_ini_line_of_198_bytes_rejected_197_accepted(self):
        # "user = " is 7 bytes: the line (without newline) is 7 + n.
        for total, ok in ((197, True), (198, False)):
            with self.subTest(length=total):
                path = self.write("[log]\nlevel = info\n; %s\n"
                                  % ("x" * (total - 2)))
                if ok:
                    p = self.run_pidone(OK_CMD, ["--config", path])
                    self.assertExit(p, 0)
                    self.assertIn("child ran", p.stdout())
                else:
                    self.check(["--config", path], codes=(CONFIG,),
                               names=["%s:3" % path])

    def test_ini_bad_value_via_pidone_config(self):
        path = self.write("[process]\ngrace = forever\n")
        self.check([], env={"PIDONE_CONFIG": path}, codes=(CONFIG,),
                   names=["%s:2" % path, "forever"])

    # -- JSON commands --------------------------------------------------------

    def test_json_command_errors(self):
        cases = [
            # (text, acceptable byte offsets)
            ("python app.py", [0]),
            ('"python app.py"', [0]),
            ("[]", [0, 1]),
            ('["ok", 42]', [7]),
            ('["a", ["b"]]', [6]),
            ('["a\\q"]', [3, 4]),
            ('["a",]', [5]),
            ('["a"] x', [6]),
        ]
        for text, offsets in cases:
            with self.subTest(text=text):
                self.check([], env={"PIDONE_COMMAND": text}, cmd=[],
                           separator=False, codes=(CONFIG,),
                           names=["PIDONE_COMMAND", text], offset=offsets)

    def test_json_command_error_in_ini(self):
        path = self.write("[process]\ncommand = python app.py\n")
        self.check(["--config", path], cmd=[], separator=False,
                   codes=(CONFIG,), names=["%s:2" % path, "python app.py"],
                   offset=[0])

    # -- what works -----------------------------------------------------------

    def test_command_from_env(self):
        p = self.run_pidone([], separator=False, env={
            "PIDONE_COMMAND": '["%s", "-c", "print(\\"from env\\")"]'
                              % h.sys.executable})
        self.assertExit(p, 0)
        self.assertEqual(p.stdout(), "from env\n")

    def test_command_line_wins_over_env(self):
        p = self.run_pidone(OK_CMD, env={
            "PIDONE_COMMAND": '["/nonexistent-pidone-it"]'})
        self.assertExit(p, 0)
        self.assertEqual(p.stdout(), "child ran\n")

    def test_multiline_command_in_ini(self):
        path = self.write(
            "[process]\n"
            "command = [\"%s\",\n"
            "    \"-c\",\n"
            "    \"import sys; print(sys.argv[1:])\", \"a b\", \"c\"]\n"
            % h.sys.executable)
        p = self.run_pidone([], ["--config", path], separator=False)
        self.assertExit(p, 0)
        self.assertEqual(p.stdout(), "['a b', 'c']\n")

    def test_semicolon_in_ini_value_is_not_a_comment(self):
        path = self.write(
            "[process]\n"
            "command = [\"%s\", \"-c\", \"print('a ;b')\"]\n"
            % h.sys.executable)
        p = self.run_pidone([], ["--config", path], separator=False)
        # Debian's inih cuts values at " ;": pidone must either keep the
        # value whole or refuse it; never run a silently cut command.
        if p.returncode == 0:
            self.assertEqual(p.stdout(), "a ;b\n")
        else:
            self.assertExit(p, CONFIG)
            self.assertEqual(p.stdout(), "")
            self.assertIn("%s:2" % path, p.log_text(), p.describe())

    def test_command_named_health_runs_with_separator(self):
        d = self.tmpdir()
        with open(os.path.join(d, "health"), "w") as f:
            f.write("#!%s\nprint('health ran')\n" % h.sys.executable)
        os.chmod(os.path.join(d, "health"), 0o755)
        p = self.run_pidone(["health"], env={"PATH": d + ":/usr/bin:/bin"})
        self.assertExit(p, 0)
        self.assertEqual(p.stdout(), "health ran\n")

    def test_precedence_ini_env_cli_for_grace(self):
        # A child ignoring SIGTERM is killed after the grace in effect,
        # which pidone reports: 1 s when the winning layer says 1, 4 s
        # otherwise (and never before it).
        ini4 = self.write("[process]\ngrace = 4\n", "four.ini")
        ini1 = self.write("[process]\ngrace = 1\n", "one.ini")
        cases = [
            ("ini", ["--config", ini1], {}),
            ("env over ini", ["--config", ini4], {"PIDONE_GRACE": "1"}),
            ("cli over env", ["--grace", "1"], {"PIDONE_GRACE": "4"}),
            ("cli over ini", ["--config", ini4, "--grace", "1"], {}),
        ]
        runs = []
        for name, opts, env in cases:
            p = self.start([h.helper("print_signals"), "--ignore-term"],
                           opts, env=env)
            runs.append((name, p))
        for name, p in runs:
            p.wait_stdout(r"^ready$")
        t0 = time.monotonic()
        for name, p in runs:
            p.kill(signal.SIGTERM)
        for name, p in runs:
            p.wait(15)
            took = p.ended - t0
            self.assertExit(p, 137, name)
            self.assertGreaterEqual(took, 0.8, name)
            grace = [r.get("grace_ms") for r in
                     p.records(r"^grace period over")]
            self.assertEqual(grace, [1000], "%s: the grace in effect was "
                             "not 1 s%s" % (name, p.describe()))


if __name__ == "__main__":
    h.main()
