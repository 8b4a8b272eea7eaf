"""Deployment files: compose.yaml, the systemd units and the install rules.

No Docker engine or systemd runs on the test machines, so compose.yaml is
checked by Debian's docker-compose (`config` resolves and validates it) and
against the real binaries: every service it runs exists in LTM_BIN_DIR and
reads every variable compose passes it (each binary's --help lists all the
settings it reads). The units are installed with `cmake --install` into a
temporary prefix and checked by `systemd-analyze verify`.
"""

import functools
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import ltmtest

SOURCE = ltmtest.SOURCE_DIR
BIN = ltmtest.BIN_DIR
SERVICES = ("scheduler", "poster", "story-publisher", "sysmonitor", "notifier",
            "health-gateway")
# Services that must run once (fixed LTM_INSTANCE) and those meant to scale
# (LTM_INSTANCE left to the container's host name, unique per replica).
SINGLE = ("scheduler", "sysmonitor", "notifier")
SCALABLE = ("poster", "story-publisher", "health-gateway")


def run(cmd, cwd=None, env=None, check=True):
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=60, text=True)
    if check and proc.returncode != 0:
        raise AssertionError("%s exited %d\nstdout:\n%s\nstderr:\n%s"
                             % (" ".join(cmd), proc.returncode, proc.stdout, proc.stderr))
    return proc


def settings_of(service):
    """Names of the environment variables a binary reads, from its --help."""
    out = run([os.path.join(BIN, "ltm-" + service), "--help"]).stdout
    names = re.findall(r"^  ([A-Z][A-Z0-9_]*) ", out, re.M)
    if not names:
        raise AssertionError("ltm-%s --help lists no settings:\n%s" % (service, out))
    return set(names)


@functools.lru_cache(maxsize=None)
def package_of(path):
    """Debian package owning a library file (dpkg knows /lib or /usr/lib,
    whichever the package shipped, not both, on a merged-/usr system)."""
    real = os.path.realpath(path)
    for candidate in (path, real, re.sub(r"^/usr/", "/", real), re.sub(r"^/lib", "/usr/lib", real)):
        proc = run(["dpkg", "-S", candidate], check=False)
        if proc.returncode == 0:
            return proc.stdout.split(":")[0]
    raise AssertionError("no Debian package owns %s" % path)


def require_tool(test, name):
    if shutil.which(name) is None:
        test.fail("%s is not installed: run scripts/install-deps.sh" % name)


class ComposeTest(unittest.TestCase):
    """docker-compose config on a copy of the repository's deployment files,
    after scripts/compose-env.sh generated the credentials and .env there."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="ltm-compose-")
        for name in ("compose.yaml", "compose.tls.yaml", ".env.example"):
            shutil.copy(os.path.join(SOURCE, name), cls.dir)
        for name in ("mosquitto", "config", "scripts"):
            shutil.copytree(os.path.join(SOURCE, name), os.path.join(cls.dir, name))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def compose_config(self, *files):
        require_tool(self, "docker-compose")
        import yaml  # python3-yaml: a dependency of Debian's docker-compose
        args = ["docker-compose"]
        for f in files or ("compose.yaml",):
            args += ["-f", f]
        out = run(args + ["config"], cwd=self.dir).stdout
        return yaml.safe_load(out)

    def prepare(self):
        # No image is built here (test_compose.py does): no base image needed.
        run([os.path.join(self.dir, "scripts", "compose-env.sh")], cwd=self.dir,
            env=dict(os.environ, LTM_SKIP_BASE_IMAGE="1"))

    def passwords(self):
        values = {}
        with open(os.path.join(self.dir, "var", "broker", "credentials.env")) as f:
            for line in f:
                name, _, value = line.strip().partition("=")
                values[name] = value
        return values

    def test_config_refuses_to_run_without_generated_passwords(self):
        require_tool(self, "docker-compose")
        bare = tempfile.mkdtemp(prefix="ltm-compose-bare-")
        try:
            shutil.copy(os.path.join(SOURCE, "compose.yaml"), bare)
            os.makedirs(os.path.join(bare, "var"))
            open(os.path.join(bare, "var", "accounts.env"), "w").close()
            proc = run(["docker-compose", "-f", "compose.yaml", "config"], cwd=bare,
                       check=False)
            self.assertNotEqual(proc.returncode, 0, proc.stdout)
            self.assertIn("run scripts/compose-env.sh first", proc.stderr)
        finally:
            shutil.rmtree(bare, ignore_errors=True)

    def test_every_service_exists_and_reads_what_compose_passes(self):
        self.prepare()
        config = self.compose_config()
        services = config["services"]
        self.assertEqual(set(services), {"broker", "dlq-archive", "ltmctl", *SERVICES})
        images = {services[s]["image"] for s in SERVICES}
        self.assertEqual(len(images), 1, "one image for every service: %s" % images)
        passwords = self.passwords()
        for name in SERVICES:
            with self.subTest(service=name):
                svc = services[name]
                binary = svc["command"][0]
                self.assertEqual(binary, "ltm-" + name)
                self.assertTrue(os.access(os.path.join(BIN, binary), os.X_OK),
                                "%s is not a built binary in %s" % (binary, BIN))
                env = svc["environment"]
                # var/accounts.env is empty here: account tokens have names
                # of the operator's choosing (their token_env).
                unread = set(env) - settings_of(name)
                self.assertFalse(unread, "compose passes variables ltm-%s does not read "
                                 "(see its --help): %s" % (name, sorted(unread)))
                self.assertEqual(env["LTM_MQTT_USERNAME"], name)
                own = passwords["LTM_PASSWORD_" + name.upper().replace("-", "_")]
                self.assertEqual(env["LTM_MQTT_PASSWORD"], own)
                others = {v for k, v in passwords.items()
                          if k != "LTM_PASSWORD_" + name.upper().replace("-", "_")}
                leaked = [k for k, v in env.items() if v in others]
                self.assertFalse(leaked, "another user's broker password in %s" % leaked)
                self.assertEqual(env["LTM_MQTT_URL"], "mqtt://broker:1883")
                self.assertEqual(env["LTM_DATA_DIR"], "/var/lib/ltm")
                self.assertIn("ltm-data:/var/lib/ltm:rw", svc["volumes"])
                self.assertEqual(svc["depends_on"]["broker"]["condition"], "service_healthy")
                self.assertIn(svc["restart"], ("unless-stopped", "always", "on-failure"))
                self.assertIn("test", svc["healthcheck"])
                self.assertTrue(svc["read_only"])
                self.assertEqual(svc["cap_drop"], ["ALL"])
                self.assertIn("no-new-privileges:true", svc["security_opt"])
                if name in SINGLE:
                    self.assertIn("LTM_INSTANCE", env)
                else:
                    self.assertNotIn("LTM_INSTANCE", env, "replicas need distinct ids")
                    # Stable across re-created containers (test_compose.py).
                    self.assertEqual(env["LTM_INSTANCE_FROM_SLOT"], "true")

    def test_account_tokens_reach_only_the_publishing_workers(self):
        self.prepare()
        accounts_env = os.path.join(self.dir, "var", "accounts.env")
        with open(accounts_env) as f:
            original = f.read()
        try:
            with open(accounts_env, "a") as f:
                f.write("ACME_LINKEDIN_TOKEN=token-value\n")
            services = self.compose_config()["services"]
        finally:
            with open(accounts_env, "w") as f:
                f.write(original)
        for name in SERVICES:
            env = services[name]["environment"]
            if name in ("poster", "story-publisher"):
                self.assertEqual(env.get("ACME_LINKEDIN_TOKEN"), "token-value", name)
            else:
                self.assertNotIn("ACME_LINKEDIN_TOKEN", env, name)

    def test_ltmctl_tool_runs_the_binary_with_its_own_user(self):
        self.prepare()
        tool = self.compose_config()["services"]["ltmctl"]
        self.assertEqual(tool["entrypoint"], ["ltmctl"])
        self.assertEqual(tool["profiles"], ["tools"], "must not start with `up`")
        self.assertTrue(os.access(os.path.join(BIN, "ltmctl"), os.X_OK))
        help_text = run([os.path.join(BIN, "ltmctl"), "--help"]).stdout
        for var in tool["environment"]:
            self.assertIn(var, help_text, "ltmctl --help does not mention %s" % var)
        self.assertEqual(tool["environment"]["LTM_MQTT_USERNAME"], "ltmctl")
        self.assertEqual(tool["environment"]["LTM_MQTT_PASSWORD"],
                         self.passwords()["LTM_PASSWORD_LTMCTL"])

    def test_broker_runs_the_config_the_integration_tests_render(self):
        self.prepare()
        broker = self.compose_config()["services"]["broker"]
        self.assertTrue(broker["image"].startswith("ltm-broker:"))
        self.assertEqual(broker["build"]["dockerfile"], "deploy/docker/broker.Dockerfile")
        mounts = {}
        for volume in broker["volumes"]:
            source, target = volume.split(":")[:2]
            mounts[target] = source
        conf = mounts["/mosquitto/config/mosquitto.conf"]
        self.assertEqual(os.path.realpath(conf),
                         os.path.realpath(os.path.join(self.dir, "mosquitto", "mosquitto.conf")))
        with open(conf, "rb") as copy, \
                open(os.path.join(SOURCE, "mosquitto", "mosquitto.conf"), "rb") as original:
            self.assertEqual(copy.read(), original.read())
        with open(conf) as f:
            lines = dict(l.split(None, 1) for l in f.read().splitlines()
                         if l and not l.startswith("#") and " " in l)
        # The paths the config names are the ones compose mounts.
        self.assertEqual(lines["password_file"], "/mosquitto/config/passwd")
        self.assertEqual(lines["acl_file"], "/mosquitto/config/acl")
        self.assertEqual(lines["persistence_location"], "/mosquitto/data/")
        # A mode-600 copy of mosquitto/acl (newer brokers refuse a world-readable one).
        acl_copy = mounts["/mosquitto/config/acl"]
        self.assertEqual(os.path.realpath(acl_copy),
                         os.path.realpath(os.path.join(self.dir, "var", "broker", "acl")))
        self.assertEqual(os.stat(acl_copy).st_mode & 0o777, 0o600)
        with open(acl_copy, "rb") as copy, \
                open(os.path.join(SOURCE, "mosquitto", "acl"), "rb") as original:
            self.assertEqual(copy.read(), original.read())
        self.assertEqual(os.path.realpath(mounts["/mosquitto/config/passwd"]),
                         os.path.realpath(os.path.join(self.dir, "var", "broker", "passwd")))
        self.assertEqual(mounts["/mosquitto/data"], "broker-data")
        self.assertTrue(all(p.startswith("127.0.0.1:") for p in
                            [str(p) for p in broker["ports"]]), broker["ports"])

    def test_broker_health_check_works_against_the_real_broker(self):
        self.prepare()
        check = self.compose_config()["services"]["broker"]["healthcheck"]["test"]
        self.assertEqual(check[0], "CMD-SHELL")
        with ltmtest.Broker() as broker:
            # The command as the container runs it, on the test broker's port.
            command = check[1].replace("$$", "$").replace("-p 1883", "-p %d" % broker.port)
            env = dict(os.environ, LTM_PASSWORD_OPERATOR=broker.password("operator"))
            ok = subprocess.run(["sh", "-c", command], env=env, timeout=20,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            self.assertEqual(ok.returncode, 0, ok.stdout)
            env["LTM_PASSWORD_OPERATOR"] = "wrong"
            bad = subprocess.run(["sh", "-c", command], env=env, timeout=20,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            self.assertNotEqual(bad.returncode, 0, bad.stdout)

    def test_dlq_archive_subscribes_with_a_persistent_session(self):
        self.prepare()
        archive = self.compose_config()["services"]["dlq-archive"]
        command = archive["command"][2]
        with ltmtest.Broker() as broker:
            # The archiver's command on the test broker, on a private file.
            out = tempfile.NamedTemporaryFile(prefix="ltm-dlq-", delete=False).name
            command = (command.replace("$$", "$").replace("-h broker -p 1883",
                                                          "-h 127.0.0.1 -p %d" % broker.port)
                       .replace("/mosquitto/data/dlq.jsonl", out))
            self.assertIn(" -c ", command)
            env = dict(os.environ, LTM_PASSWORD_OPERATOR=broker.password("operator"))
            archiver = ltmtest._track(subprocess.Popen(["sh", "-c", command], env=env))
            try:
                def lines():
                    with open(out) as f:
                        return f.read().splitlines()
                # Subscribed once a dead letter reaches the file.
                def probed():
                    ltmtest.publish(broker, "poster", "ltm/dlq", {"reason": "probe"})
                    return lines()
                ltmtest.wait_until(probed, 10, "the archiver to subscribe")
                archiver.terminate()
                archiver.wait()
                # Dead-lettered while the archiver is down: queued for it.
                ltmtest.publish(broker, "poster", "ltm/dlq", {"reason": "while away"})
                archiver = ltmtest._track(subprocess.Popen(["sh", "-c", command], env=env))
                ltmtest.publish(broker, "poster", "ltm/dlq", {"reason": "after"})
                reasons = lambda: [json.loads(l)["reason"] for l in lines()]
                ltmtest.wait_until(lambda: "after" in reasons(), 10, "the last dead letter")
                self.assertEqual([r for r in reasons() if r != "probe"], ["while away", "after"])
            finally:
                archiver.terminate()
                archiver.wait()
                ltmtest._untrack(archiver)
                os.unlink(out)

    def test_compose_env_keeps_operator_settings_and_rotates_one_password(self):
        self.prepare()
        env_path = os.path.join(self.dir, ".env")
        with open(env_path, "a") as f:
            f.write("OPENAI_API_KEY=sk-operator-value\n")
        before = self.passwords()
        creds = os.path.join(self.dir, "var", "broker", "credentials.env")
        with open(creds) as f:
            kept = [l for l in f if not l.startswith("LTM_PASSWORD_POSTER=")]
        with open(creds, "w") as f:
            f.writelines(kept)
        self.prepare()
        after = self.passwords()
        self.assertNotEqual(before["LTM_PASSWORD_POSTER"], after["LTM_PASSWORD_POSTER"])
        for name in before:
            if name != "LTM_PASSWORD_POSTER":
                self.assertEqual(before[name], after[name])
        with open(env_path) as f:
            text = f.read()
        self.assertIn("OPENAI_API_KEY=sk-operator-value\n", text)
        self.assertEqual(text.count("LTM_PASSWORD_POSTER="), 1)
        self.assertIn("LTM_PASSWORD_POSTER=%s\n" % after["LTM_PASSWORD_POSTER"], text)
        with open(os.path.join(self.dir, "var", "broker", "passwd")) as f:
            self.assertEqual(sorted(l.split(":")[0] for l in f), sorted(ltmtest.USERS))
        for path in (env_path, creds, os.path.join(self.dir, "var", "accounts.env")):
            self.assertEqual(os.stat(path).st_mode & 0o777, 0o600, path)
        config = self.compose_config()
        self.assertEqual(config["services"]["poster"]["environment"]["LTM_MQTT_PASSWORD"],
                         after["LTM_PASSWORD_POSTER"])
        self.assertEqual(config["services"]["poster"]["environment"]["OPENAI_API_KEY"],
                         "sk-operator-value")
        self.assertEqual(config["services"]["notifier"]["environment"].get("OPENAI_API_KEY"),
                         None, "a secret went to a service that does not use it")

    def test_tls_override_mounts_the_config_plus_the_listener(self):
        self.prepare()
        run([os.path.join(self.dir, "scripts", "gen-tls.sh"), "--compose", "ltm.example.org"],
            cwd=self.dir)
        broker = self.compose_config("compose.yaml", "compose.tls.yaml")["services"]["broker"]
        mounts = dict(v.split(":")[1::-1] for v in broker["volumes"])
        conf = mounts["/mosquitto/config/mosquitto.conf"]
        self.assertEqual(os.path.realpath(conf), os.path.realpath(
            os.path.join(self.dir, "var", "tls", "broker", "mosquitto.conf")))
        with open(conf) as f:
            text = f.read()
        with open(os.path.join(SOURCE, "mosquitto", "mosquitto.conf")) as f:
            self.assertTrue(text.startswith(f.read()))
        self.assertIn("\nlistener 8883\n", text)
        self.assertIn("\ncertfile /mosquitto/config/tls/broker.crt\n", text)
        tls_dir = mounts["/mosquitto/config/tls"]
        self.assertFalse(os.path.exists(os.path.join(tls_dir, "ca.key")),
                         "the CA key must not be mounted into the broker")
        self.assertIn("0.0.0.0:8883:8883/tcp", [str(p) for p in broker["ports"]])


class ConfigDocTest(unittest.TestCase):
    def test_configuration_doc_lists_the_settings_the_binaries_read(self):
        proc = run([os.path.join(SOURCE, "scripts", "gen-config-doc.sh"), "--check", BIN],
                   check=False)
        self.assertEqual(proc.returncode, 0, "docs/configuration.md is out of date; run "
                         "scripts/gen-config-doc.sh %s\n%s%s" % (BIN, proc.stdout, proc.stderr))


class DocsLinksTest(unittest.TestCase):
    """Relative links of the operator docs point at files and headings that
    exist (GitHub's heading anchors)."""

    DOCS = ("architecture.md", "configuration.md", "operations.md", "deployment.md",
            "scaling.md")

    @staticmethod
    def anchors(path):
        with open(path) as f:
            text = re.sub(r"```.*?```", "", f.read(), flags=re.S)
        return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
                for h in re.findall(r"^#+ (.*)$", text, re.M)}

    def test_every_relative_link_resolves(self):
        docs = os.path.join(SOURCE, "docs")
        for name in self.DOCS:
            with open(os.path.join(docs, name)) as f:
                text = re.sub(r"```.*?```", "", f.read(), flags=re.S)
            for target in re.findall(r"\]\(([^)\s]+)\)", text):
                if re.match(r"[a-z]+:", target):
                    continue
                with self.subTest(doc=name, link=target):
                    file, _, anchor = target.partition("#")
                    path = os.path.normpath(os.path.join(docs, file or name))
                    self.assertTrue(os.path.exists(path), "%s: no %s" % (name, path))
                    if anchor:
                        self.assertIn(anchor, self.anchors(path))


class DockerfileTest(unittest.TestCase):
    """The image can only be built where Docker runs; what can drift silently
    (package lists, the health check script) is checked here."""

    @classmethod
    def setUpClass(cls):
        with open(os.path.join(SOURCE, "Dockerfile")) as f:
            text = f.read()
        stages = re.split(r"^FROM ", text, flags=re.M)
        cls.build_stage = next(s for s in stages if " AS build" in s.split("\n")[0])
        cls.runtime_stage = next(s for s in stages if " AS runtime" in s.split("\n")[0])

    @staticmethod
    def apt_packages(stage):
        packages = set()
        for cmd in re.findall(r"apt-get install([^&]*)", stage):
            packages.update(w for w in cmd.replace("\\\n", " ").split() if not w.startswith("-"))
        return packages

    def test_build_stage_has_every_library_of_the_local_build(self):
        with open(os.path.join(SOURCE, "scripts", "install-deps.sh")) as f:
            deps = re.search(r"^PACKAGES=\((.*?)^\)", f.read(), re.S | re.M).group(1)
        dev = {w for line in deps.splitlines() for w in line.split("#")[0].split()
               if w.startswith("lib") and w.endswith("-dev")}
        self.assertTrue(dev)
        missing = dev - self.apt_packages(self.build_stage)
        self.assertFalse(missing, "install-deps.sh builds with %s; the Dockerfile's build "
                         "stage does not install them" % sorted(missing))

    def test_runtime_stage_has_the_package_of_every_linked_library(self):
        if shutil.which("dpkg") is None:
            self.skipTest("dpkg is not available to map libraries to packages")
        runtime = self.apt_packages(self.runtime_stage)
        binaries = ["ltm-" + s for s in SERVICES] + ["ltmctl"]
        needed = set()
        for b in binaries:
            dyn = run(["readelf", "-d", os.path.join(BIN, b)]).stdout
            needed.update(re.findall(r"\(NEEDED\).*\[(.+)\]", dyn))
            for line in run(["ldd", os.path.join(BIN, b)]).stdout.splitlines():
                m = re.match(r"\s*(\S+) => (/\S+)", line)
                if m and m.group(1) in needed:
                    name = package_of(m.group(2))
                    if re.match(r"lib(a|ub|l|t)san", name):
                        continue  # a sanitizer build; the image is built without
                    with self.subTest(library=m.group(1)):
                        # libc6 (libc, libm) is in every Debian image.
                        self.assertTrue(name == "libc6" or name in runtime,
                                        "%s links %s from package %s, which the runtime "
                                        "stage does not install" % (b, m.group(1), name))
        self.assertIn("curl", runtime, "the gateway's health check runs curl")

    def test_runtime_runs_as_an_unprivileged_user_and_has_the_health_check(self):
        self.assertRegex(self.runtime_stage, r"(?m)^USER ltm")
        self.assertIn("COPY deploy/docker/ltm-healthcheck /usr/local/bin/ltm-healthcheck",
                      self.runtime_stage)
        self.assertTrue(os.access(os.path.join(SOURCE, "deploy", "docker", "ltm-healthcheck"),
                                  os.X_OK))


class SystemdTest(unittest.TestCase):
    """The units as `cmake --install` writes them, checked by systemd-analyze."""

    @classmethod
    def setUpClass(cls):
        cls.prefix = tempfile.mkdtemp(prefix="ltm-install-")
        build_dir = os.path.dirname(os.path.abspath(BIN))
        cls.install = run(["cmake", "--install", build_dir, "--prefix", cls.prefix])
        cls.units = os.path.join(cls.prefix, "lib", "systemd", "system")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.prefix, ignore_errors=True)

    def unit(self, name):
        with open(os.path.join(self.units, name)) as f:
            return f.read()

    def test_install_lays_out_binaries_units_broker_config_scripts_and_docs(self):
        for path in (["bin", "ltmctl"], ["share", "ltm", "mosquitto", "mosquitto.conf"],
                     ["share", "ltm", "mosquitto", "acl"],
                     ["share", "ltm", "scripts", "systemd-setup.sh"],
                     ["share", "ltm", "scripts", "gen-credentials.sh"],
                     ["share", "ltm", "scripts", "render-broker-conf.sh"],
                     ["share", "ltm", "scripts", "gen-tls.sh"],
                     ["share", "ltm", "ltm.env.example"],
                     ["share", "ltm", "config", "accounts.example.json"],
                     ["share", "ltm", "config", "accounts.live.example.json"],
                     ["share", "doc", "ltm", "operations.md"],
                     ["lib", "systemd", "system", "ltm.target"]):
            full = os.path.join(self.prefix, *path)
            self.assertTrue(os.path.isfile(full), "%s not installed" % full)
        for name in SERVICES:
            self.assertTrue(os.access(os.path.join(self.prefix, "bin", "ltm-" + name), os.X_OK))

    def test_units_are_hardened_restart_and_read_their_own_env_file(self):
        target = self.unit("ltm.target")
        for name in SERVICES:
            with self.subTest(service=name):
                text = self.unit("ltm-%s.service" % name)
                self.assertIn("ExecStart=%s/bin/ltm-%s\n" % (self.prefix, name), text)
                self.assertIn("EnvironmentFile=/etc/ltm/%s.env\n" % name, text)
                self.assertIn("LTM_MQTT_USERNAME=%s" % name, text)
                for line in ("Restart=on-failure", "RestartPreventExitStatus=78",
                             "User=ltm", "StateDirectory=ltm", "ProtectSystem=strict",
                             "NoNewPrivileges=yes", "PrivateTmp=yes", "ProtectHome=yes",
                             "CapabilityBoundingSet=", "SystemCallFilter=@system-service",
                             "WantedBy=ltm.target"):
                    self.assertIn("\n%s\n" % line, text)
                self.assertIn("ltm-%s.service" % name, target)
        self.assertIn("ltm-broker.service", target)
        self.assertIn("ltm-dlq-archive.service", target)

    def test_systemd_analyze_verify_accepts_every_unit(self):
        if shutil.which("systemd-analyze") is None:
            self.skipTest("systemd-analyze is not installed (package systemd)")
        names = sorted(n for n in os.listdir(self.units) if n.startswith("ltm"))
        self.assertEqual(len(names), len(SERVICES) + 3, names)  # + broker, dlq archive, target
        proc = run(["systemd-analyze", "verify"] + names, cwd=self.units, check=False)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stderr.strip(), "", "systemd-analyze verify warned")

    def test_setup_script_renders_broker_config_and_per_service_env(self):
        etc = tempfile.mkdtemp(prefix="ltm-etc-")
        try:
            setup = os.path.join(self.prefix, "share", "ltm", "scripts", "systemd-setup.sh")
            run([setup, "--etc", etc, "--no-user", "--port", "11999"])
            with open(os.path.join(etc, "broker", "mosquitto.conf")) as f:
                conf = f.read()
            acl = os.path.join(self.prefix, "share", "ltm", "mosquitto", "acl")
            for line in ("user mosquitto", "listener 11999 127.0.0.1",
                         "password_file %s/broker/passwd" % etc, "acl_file %s" % acl,
                         "persistence_location /var/lib/ltm-broker/"):
                self.assertIn("\n%s\n" % line, conf)
            creds = {}
            with open(os.path.join(etc, "broker", "credentials.env")) as f:
                for line in f:
                    k, _, v = line.strip().partition("=")
                    creds[k] = v
            with open(os.path.join(etc, "poster.env"), "a") as f:
                f.write("OPENAI_API_KEY=kept\n")
            run([setup, "--etc", etc, "--no-user", "--port", "11999"])
            for name in SERVICES:
                path = os.path.join(etc, name + ".env")
                self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
                with open(path) as f:
                    text = f.read()
                pw = creds["LTM_PASSWORD_" + name.upper().replace("-", "_")]
                self.assertEqual(text.count("LTM_MQTT_PASSWORD="), 1, text)
                self.assertIn("LTM_MQTT_PASSWORD=%s\n" % pw, text)
            with open(os.path.join(etc, "poster.env")) as f:
                self.assertIn("OPENAI_API_KEY=kept\n", f.read())
            with open(os.path.join(etc, "dlq-archive.env")) as f:
                self.assertEqual(f.read(), "LTM_PASSWORD_OPERATOR=%s\nLTM_BROKER_PORT=11999\n"
                                 % creds["LTM_PASSWORD_OPERATOR"])
            with open(os.path.join(etc, "ltm.env")) as f:
                self.assertIn("\nLTM_MQTT_URL=mqtt://127.0.0.1:11999\n", f.read())
            self.assertTrue(os.path.isfile(os.path.join(etc, "accounts.json")))
            # An ltm.env that names another broker port is kept, with a warning.
            out = run([setup, "--etc", etc, "--no-user", "--port", "11998"])
            self.assertIn("keeps its LTM_MQTT_URL (mqtt://127.0.0.1:11999)", out.stdout + out.stderr)
        finally:
            shutil.rmtree(etc, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
