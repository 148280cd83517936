#!/usr/bin/env python3
"""Checks the operators' runbooks (docs/runbooks/*.md) against Terraform's plans and the AWS CLI,
for scripts/check-infrastructure.

Every `aws ...` and `terraform ...` command in a fenced shell block (and every inline code span
that starts with `aws ` or `terraform `) is extracted: continuation lines joined, comments
dropped, `$(...)` substitutions checked as commands of their own, `$VAR` taken from the
runbook's own earlier assignments. Then, for each environment, with `{env}` replaced:

- aws: the command runs through awscli's own driver (the venv's awscli) and is stopped just
  before anything is sent: the HTTP layer raises. So the service, the operation, every option,
  the required options and every value the CLI and botocore validate (numbers, JSON,
  shorthand, choices) are checked exactly as the CLI checks them; `--query` must compile as
  JMESPath. Nothing reaches AWS.
- every resource name the command would send (function, alias, table, index, log group,
  dashboard, alarm, secret, rule, bus, topic, queue, role) must be one Terraform plans for that
  environment, and so must any other `sentiment-analyzer...` string in it; creating by hand
  something Terraform creates is refused. A name the runbook itself created earlier (a restored
  table) counts as existing.
- terraform: the subcommand and every flag must be ones `terraform [sub] -help` lists;
  `-var-file` and `-backend-config` files must exist; `-target`, `-replace` and `state`
  addresses, `-var` names and `output` names must exist in the plan's configuration; the
  command must run in infrastructure/terraform (each block starts at the repository root).
- a script run by relative path (`scripts/build-lambdas`) must exist.

A block fenced as ```` ```sh moto ```` may hold only reading aws calls (describe, get, list,
query, filter): `--execute ENV` runs those blocks with bash, and scripts/check-infrastructure
does so against the moto deployment after an ingestion run, so their keys and query paths
are checked against items the code really wrote.

Prose is checked too: every `sentiment-analyzer...` name in an inline code span must exist in
some environment's plan (extra plans such as PROVISIONED billing count here), and every
`name = value` span or tfvars block line must name a root-module variable. Across the whole
set: every alarm of every plan is named by some runbook, every alarm's description names an
existing runbook, every incident runbook has its Symptoms / Alarm / Diagnose / Fix sections,
the index links every runbook, and relative links resolve.

Usage:
  check_runbooks.py --plan preprod=PREPROD.json --plan prod=PROD.json
                    [--extra-plan preprod=VARIANT.json] [--repo DIR] [FILE.md ...]
      Plans are `terraform show -json` of a saved plan. Without files: docs/runbooks/*.md and
      the whole-set checks. Exit 1 with FILE:LINE: [envs] reason for each failure.
  check_runbooks.py --execute ENV [FILE.md ...]
      Runs the `sh moto` blocks against the AWS endpoint the environment names; fails on a
      failing command or one that prints only null/None (a query that matched nothing).
  check_runbooks.py --self-test --plan ... (same plans)
      Checks tests/runbooks/broken-runbook.md, whose lines carry `# expect: reason` markers:
      every expected failure must be reported on its line, nothing else may be, and a run on
      that file must exit non-zero.

Needs python3 with awscli (v1, the pinned venv) and terraform on PATH.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHELL_LANGUAGES = {"", "sh", "bash", "shell", "zsh", "console"}
TFVARS_LANGUAGES = {"hcl", "terraform", "tfvars"}
PROJECT = "sentiment-analyzer"
# A name of this project as it appears in commands and prose (ARN parts, dimension values).
NAME_RE = re.compile(r"(?<![A-Za-z0-9_.-])(?:/aws/lambda/)?sentiment-analyzer(?:[-/][A-Za-z0-9_{}.]*[A-Za-z0-9_}])+")
PLACEHOLDER_RE = re.compile(r"\b(COMPUTED|UNSET)_([A-Za-z0-9_]+?)__0+")
# Sections every incident runbook has (the index and scaling.md are not incidents).
INCIDENT_SECTIONS = ("Symptoms", "Alarm", "Diagnose", "Fix")
NOT_INCIDENTS = {"README.md", "scaling.md"}
# ```sh moto blocks only read, and scripts/check-infrastructure also runs them against moto.
MOTO_TAG = "moto"
READ_ONLY_RE = re.compile(r"^(describe|get|list|query|filter)(-|$)")


def placeholder(kind: str, name: str) -> str:
    """What the checker passes for a value known only at run time (COMPUTED: set by an earlier
    command; UNSET: set by nothing the runbook shows). Padded to 48 characters so it passes the
    length limits botocore checks (an ARN or a secret version id has a minimum)."""
    return f"{kind}_{name}__0".ljust(48, "0")


def placeholder_name(value: str) -> str:
    m = PLACEHOLDER_RE.search(value)
    return m.group(2) if m else value


# ---------------------------------------------------------------------------------------------
# Terraform plans: the names, addresses, variables and outputs of one environment
# ---------------------------------------------------------------------------------------------


@dataclass
class Plan:
    env: str
    names: dict[str, set[str]] = field(default_factory=dict)  # kind -> names
    aliases: dict[str, set[str]] = field(default_factory=dict)  # function -> alias names
    indexes: dict[str, set[str]] = field(default_factory=dict)  # table -> index names
    addresses: set[str] = field(default_factory=set)
    variables: set[str] = field(default_factory=set)
    outputs: set[str] = field(default_factory=set)
    alarm_descriptions: dict[str, str] = field(default_factory=dict)

    def all_names(self) -> set[str]:
        return set().union(*self.names.values()) if self.names else set()


NAME_ATTRIBUTES = {
    "aws_lambda_function": ("function_name", "function"),
    "aws_lambda_alias": ("name", "alias"),
    "aws_dynamodb_table": ("name", "table"),
    "aws_cloudwatch_log_group": ("name", "log-group"),
    "aws_cloudwatch_dashboard": ("dashboard_name", "dashboard"),
    "aws_cloudwatch_metric_alarm": ("alarm_name", "alarm"),
    "aws_secretsmanager_secret": ("name", "secret"),
    "aws_cloudwatch_event_rule": ("name", "rule"),
    "aws_cloudwatch_event_bus": ("name", "bus"),
    "aws_sns_topic": ("name", "topic"),
    "aws_sqs_queue": ("name", "queue"),
    "aws_iam_role": ("name", "role"),
    "aws_s3_bucket": ("bucket", "bucket"),
}


def load_plan(env: str, path: str) -> Plan:
    with open(path) as f:
        raw = json.load(f)
    plan = Plan(env)
    for rc in raw.get("resource_changes", []):
        values = rc["change"].get("after") or rc["change"].get("before") or {}
        address = rc["address"]
        plan.addresses.add(address)
        plan.addresses.add(re.sub(r"\[[^\]]*\]$", "", address))
        module = rc.get("module_address")
        while module:
            plan.addresses.add(module)
            module = module.rsplit(".module.", 1)[0] if ".module." in module else None
        attribute_kind = NAME_ATTRIBUTES.get(rc["type"])
        if attribute_kind is None or rc["mode"] != "managed":
            continue
        attribute, kind = attribute_kind
        name = values.get(attribute)
        if not isinstance(name, str):
            continue
        plan.names.setdefault(kind, set()).add(name)
        if kind == "alias":
            plan.aliases.setdefault(values.get("function_name"), set()).add(name)
        if kind == "table":
            plan.indexes[name] = {g["name"] for g in values.get("global_secondary_index") or []}
        if kind == "alarm":
            plan.alarm_descriptions[name] = values.get("alarm_description") or ""
    root = raw.get("configuration", {}).get("root_module", {})
    plan.variables = set(root.get("variables", {}))
    plan.outputs = set(root.get("outputs", {}))
    for call in root.get("module_calls", {}):
        plan.addresses.add(f"module.{call}")
    return plan


def add_state_bucket(plan: Plan, tf_dir: Path) -> None:
    """The state bucket is made by hand (docs/deploy.md); it and the state's key are named in
    backend/<env>.hcl."""
    backend = tf_dir / "backend" / f"{plan.env}.hcl"
    if backend.is_file():
        text = backend.read_text()
        for attribute, kind in (("bucket", "state-bucket"), ("key", "state-key")):
            m = re.search(rf'^\s*{attribute}\s*=\s*"([^"]+)"', text, flags=re.M)
            if m:
                plan.names.setdefault(kind, set()).add(m.group(1))


# ---------------------------------------------------------------------------------------------
# Markdown: fenced blocks and inline code spans, with line numbers
# ---------------------------------------------------------------------------------------------

FENCE_RE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^`]*)$")


@dataclass
class Block:
    language: str
    lines: list[tuple[int, str]]  # (line number, text without the fence's indentation)
    tags: tuple[str, ...] = ()  # the info string's words after the language, e.g. ("moto",)


def parse_markdown(text: str) -> tuple[list[Block], list[tuple[int, str]]]:
    """The fenced blocks, and the inline code spans outside them."""
    blocks: list[Block] = []
    spans: list[tuple[int, str]] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        fence = FENCE_RE.match(lines[i])
        if fence:
            indent, marker, info = len(fence.group(1)), fence.group(2), fence.group(3).strip()
            body: list[tuple[int, str]] = []
            i += 1
            while i < len(lines) and not re.match(rf"^\s*{re.escape(marker[0])}{{{len(marker)},}}\s*$", lines[i]):
                line = lines[i]
                strip = min(indent, len(line) - len(line.lstrip(" ")))
                body.append((i + 1, line[strip:]))
                i += 1
            words = info.split()
            blocks.append(Block(words[0].lower() if words else "", body, tuple(words[1:])))
            i += 1
            continue
        for span in re.findall(r"(?<!`)`([^`]+)`(?!`)", lines[i]):
            spans.append((i + 1, span))
        i += 1
    return blocks, spans


# ---------------------------------------------------------------------------------------------
# Shell: a small tokenizer for the subset runbooks use
# ---------------------------------------------------------------------------------------------


class ShellError(Exception):
    pass


OPERATORS = ("&&", "||", ";", "|", "&")
REDIRECTS = (">>", ">", "<", "2>", "&>")


@dataclass
class Substitution:
    text: str


def tokenize(line: str) -> list[object]:
    """One logical line as shell words and operators. A word is a list of parts: ("lit", text)
    (quoting already removed), ("var", name) for $NAME, ("sub", Substitution) for $(...).
    Expansion happens later, per environment. Operators are `;`, `&&`, `||`, `|`, `&` and
    redirections; a `#` that starts a word starts a comment."""
    tokens: list[object] = []
    word: list[tuple[str, object]] | None = None
    i, n = 0, len(line)

    def add(kind: str, value: object) -> None:
        nonlocal word
        if word is None:
            word = []
        word.append((kind, value))

    def end_word() -> None:
        nonlocal word
        if word is not None:
            tokens.append(word)
            word = None

    def read_substitution(start: int) -> tuple[str, int]:
        depth, j, quote = 1, start, None
        while j < n:
            c = line[j]
            if quote == "'":
                if c == "'":
                    quote = None
            elif quote == '"':
                if c == "\\":
                    j += 1
                elif c == '"':
                    quote = None
            elif c in "'\"":
                quote = c
            elif c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    return line[start:j], j + 1
            j += 1
        raise ShellError("unbalanced $(")

    def read_variable(j: int) -> tuple[str, int]:
        if j < n and line[j] == "{":
            k = line.find("}", j)
            if k < 0:
                raise ShellError("unbalanced ${")
            return line[j + 1 : k], k + 1
        m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", line[j:])
        if not m:
            return "", j
        return m.group(0), j + len(m.group(0))

    def read_expansion(j: int) -> int:
        """Reads the `$(...)`, `$NAME`, `${NAME}` or lone `$` at j (quoted or not); returns
        where reading goes on."""
        if line[j] == "`":
            raise ShellError("backtick substitution: write $(...)")
        if line[j + 1 : j + 2] == "(":
            text, j = read_substitution(j + 2)
            add("sub", Substitution(text))
            return j
        name, k = read_variable(j + 1)
        if name:
            add("var", name)
            return k
        add("lit", "$")
        return j + 1

    while i < n:
        c = line[i]
        if c in " \t":
            end_word()
            i += 1
        elif c == "#" and word is None:
            break
        elif c == "\\":
            add("lit", line[i + 1 : i + 2])
            i += 2
        elif c == "'":
            k = line.find("'", i + 1)
            if k < 0:
                raise ShellError("unbalanced single quote")
            add("lit", line[i + 1 : k])
            i = k + 1
        elif c == '"':
            i += 1
            if i < n and line[i] == '"':
                add("lit", "")
            while True:
                if i >= n:
                    raise ShellError("unbalanced double quote")
                c = line[i]
                if c == '"':
                    i += 1
                    break
                if c == "\\" and i + 1 < n and line[i + 1] in '"\\$`':
                    add("lit", line[i + 1])
                    i += 2
                elif c in "`$":
                    i = read_expansion(i)
                else:
                    add("lit", c)
                    i += 1
        elif c in "`$":
            i = read_expansion(i)
        elif line.startswith("<<", i):
            raise ShellError("here-documents are not supported in runbooks")
        else:
            op = next((o for o in ("&&", "||", "2>", "&>", ">>") if line.startswith(o, i)), None)
            if op == "2>" and word is not None:
                op = None
            if op is None and c in ";|&<>":
                op = c
            if op is not None:
                end_word()
                tokens.append(op)
                i += len(op)
            else:
                add("lit", c)
                i += 1
    end_word()
    return tokens


def logical_lines(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Backslash continuations joined; blank and comment-only lines dropped."""
    out: list[tuple[int, str]] = []
    start, buffer = None, ""
    for number, text in lines:
        if start is None:
            if not text.strip() or text.lstrip().startswith("#"):
                continue
            start = number
        stripped = text.rstrip()
        if stripped.endswith("\\") and not stripped.endswith("\\\\"):
            buffer += stripped[:-1] + " "
            continue
        out.append((start, buffer + text))
        start, buffer = None, ""
    if start is not None:
        out.append((start, buffer))
    return out


def split_commands(tokens: list[object]) -> list[list[object]]:
    """Commands separated by operators, with redirections and their targets removed."""
    commands: list[list[object]] = [[]]
    skip_next = False
    for token in tokens:
        if skip_next:
            skip_next = False
            continue
        if isinstance(token, str) and token in REDIRECTS:
            skip_next = True
            continue
        if isinstance(token, str) and token in OPERATORS:
            commands.append([])
            continue
        commands[-1].append(token)
    return [c for c in commands if c]


# ---------------------------------------------------------------------------------------------
# Checking
# ---------------------------------------------------------------------------------------------


@dataclass
class Failure:
    path: str
    line: int
    env: str | None
    message: str


@dataclass
class FileState:
    """What earlier commands of one runbook set: variables and names it created."""

    variables: dict[str, str | None] = field(default_factory=dict)  # None = computed at run time
    created: set[str] = field(default_factory=set)


class Checker:
    def __init__(self, repo: Path, plans: dict[str, Plan], extra: list[Plan]):
        self.repo = repo
        self.tf_dir = repo / "infrastructure" / "terraform"
        self.plans = plans
        self.extra = extra
        self.failures: list[Failure] = []
        self.counts = {"aws": 0, "terraform": 0}  # commands checked, over every environment
        self.aws = AwsCli()
        self.terraform = TerraformCli()
        self.tmp = tempfile.TemporaryDirectory(prefix="check-runbooks.")
        self.blob = Path(self.tmp.name) / "blob.json"
        self.blob.write_text("{}")

    def fail(self, path: Path, line: int, env: str | None, message: str) -> None:
        self.failures.append(Failure(self.rel(path), line, env, message))

    def rel(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.repo))
        except ValueError:
            return str(path)

    # -- one runbook -----------------------------------------------------------------------

    def check_file(self, path: Path) -> None:
        text = path.read_text()
        blocks, spans = parse_markdown(text)
        states = {env: FileState() for env in self.plans}
        for block in blocks:
            if block.language in TFVARS_LANGUAGES:
                self.check_tfvars_block(path, block)
                continue
            if block.language not in SHELL_LANGUAGES:
                for number, line in block.lines:
                    if re.match(r"^\s*(\$\s*)?(aws|terraform)\s", line):
                        self.fail(path, number, None, f"command in a ```{block.language} block: use ```sh")
                continue
            if MOTO_TAG in block.tags:
                self.check_read_only(path, block)
            for env, plan in self.plans.items():
                cwd = self.repo
                for number, line in logical_lines(block.lines):
                    cwd = self.check_line(path, number, line, plan, states[env], cwd)
        for number, span in spans:
            if re.match(r"^(aws|terraform)\s", span):
                for env, plan in self.plans.items():
                    self.check_line(path, number, span, plan, states[env], self.tf_dir)
            self.check_prose(path, number, span)

    def check_read_only(self, path: Path, block: Block) -> None:
        """A block tagged `moto` runs against the test deployment: only reading aws calls."""
        for number, line in logical_lines(block.lines):
            try:
                commands = split_commands(tokenize(line))
            except ShellError:
                continue  # reported by the per-environment checks
            for command in commands:
                words = ["".join(v if isinstance(v, str) else "$" for _, v in word) for word in command]
                while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]) and len(words) > 1:
                    words = words[1:]
                if not words or re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
                    continue
                if words[0] != "aws":
                    self.fail(path, number, None, f"a `{MOTO_TAG}` block runs only aws commands, not {words[0]}")
                elif len(words) < 3 or not READ_ONLY_RE.match(words[2]):
                    self.fail(path, number, None, f"a `{MOTO_TAG}` block must only read: {' '.join(words[:3])}")

    def check_tfvars_block(self, path: Path, block: Block) -> None:
        for number, line in block.lines:
            m = re.match(r"^\s*([a-z][a-z0-9_]*)\s*=", line)
            if m:
                self.check_variable_name(path, number, m.group(1))

    def check_variable_name(self, path: Path, number: int, name: str) -> None:
        known = set().union(*(p.variables for p in self.plans.values()))
        if name not in known:
            self.fail(path, number, None, f"`{name}` is not a variable of the root module (variables.tf)")

    def check_prose(self, path: Path, number: int, span: str) -> None:
        m = re.match(r"^([a-z][a-z0-9_]*)\s*=\s*\S", span)
        if m and not re.match(r"^(aws|terraform)\s", span) and "_" in m.group(1):
            self.check_variable_name(path, number, m.group(1))
        for name in NAME_RE.findall(span):
            if not any(self.name_known(name, plan) for plan in self.all_plans()):
                self.fail(path, number, None, f"`{name}` is not a name Terraform plans in any environment")

    def all_plans(self) -> list[Plan]:
        return list(self.plans.values()) + self.extra

    def name_known(self, name: str, plan: Plan) -> bool:
        concrete = name.replace("{env}", plan.env)
        if "{" in concrete:
            return False
        return concrete in plan.all_names()

    # -- one logical line, for one environment ---------------------------------------------

    def check_line(self, path: Path, number: int, line: str, plan: Plan, state: FileState, cwd: Path) -> Path:
        line = line.replace("{env}", plan.env)
        placeholder = re.search(r"(?<!\$)\{[A-Za-z_]+\}|<[a-z][a-z _-]*>", line)
        if placeholder:
            self.fail(path, number, plan.env, f"unfilled placeholder {placeholder.group(0)}: only {{env}} is substituted")
            return cwd
        try:
            tokens = tokenize(line)
        except ShellError as e:
            self.fail(path, number, plan.env, str(e))
            return cwd
        for command in split_commands(tokens):
            cwd = self.check_command(path, number, command, plan, state, cwd)
        return cwd

    def expand(self, word: list, path: Path, number: int, plan: Plan, state: FileState, cwd: Path) -> str:
        out = []
        for kind, value in word:
            if kind == "lit":
                out.append(value)
            elif kind == "var":
                if value in state.variables:
                    known = state.variables[value]
                    out.append(placeholder("COMPUTED", value) if known is None else known)
                else:
                    out.append(placeholder("UNSET", value))
            else:
                out.append(self.substitute(value.text, path, number, plan, state, cwd))
        return "".join(out)

    def substitute(self, text: str, path: Path, number: int, plan: Plan, state: FileState, cwd: Path) -> str:
        """The value of $(...): date runs (GNU date, read-only arguments only); aws and
        terraform are checked as commands and stand for a value known only at run time."""
        try:
            commands = split_commands(tokenize(text))
        except ShellError as e:
            self.fail(path, number, plan.env, f"in $({text}): {e}")
            return placeholder("COMPUTED", "substitution")
        if len(commands) != 1:
            self.fail(path, number, plan.env, f"$({text}): one command per substitution")
            return placeholder("COMPUTED", "substitution")
        words = [self.expand(w, path, number, plan, state, cwd) for w in commands[0]]
        if words[0] == "date":
            return self.run_date(words, path, number, plan)
        if words[0] in ("aws", "terraform"):
            self.check_command(path, number, commands[0], plan, state, cwd)
            if words[0] == "terraform" and "output" in words:
                return placeholder("COMPUTED", f"output_{words[-1]}")
            return placeholder("COMPUTED", "substitution")
        self.fail(path, number, plan.env, f"$({text}): only aws, terraform and date can be checked in a substitution")
        return placeholder("COMPUTED", "substitution")

    def run_date(self, words: list[str], path: Path, number: int, plan: Plan) -> str:
        allowed = re.compile(r"^(-u|--utc|-d|--date=.*|--iso-8601(=\w+)?|\+.*)$")
        args = words[1:]
        i = 0
        while i < len(args):
            if not allowed.match(args[i]):
                self.fail(path, number, plan.env, f"date argument {args[i]!r} is not one the checker runs")
                return placeholder("COMPUTED", "date")
            i += 2 if args[i] == "-d" else 1
        result = subprocess.run(["date", *args], capture_output=True, text=True)
        if result.returncode != 0:
            self.fail(path, number, plan.env, f"date {' '.join(args)}: {result.stderr.strip()} (GNU date)")
            return placeholder("COMPUTED", "date")
        return result.stdout.strip()

    def check_command(self, path: Path, number: int, command: list, plan: Plan, state: FileState, cwd: Path) -> Path:
        failures = len(self.failures)
        words = [self.expand(w, path, number, plan, state, cwd) for w in command]
        if len(self.failures) > failures:
            return cwd  # a substitution failed; what it stood for is unknown
        # Leading assignments: VAR=value [command]
        while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
            name, value = words[0].split("=", 1)
            state.variables[name] = None if PLACEHOLDER_RE.search(value) else value
            words, command = words[1:], command[1:]
        if not words:
            return cwd
        program = words[0]
        if program == "export":
            for word in words[1:]:
                if "=" in word:
                    name, value = word.split("=", 1)
                    state.variables[name] = None if PLACEHOLDER_RE.search(value) else value
            return cwd
        if program == "read":
            for word in words[1:]:
                if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", word):
                    state.variables[word] = None
            return cwd
        if program == "cd":
            if len(words) != 2 or PLACEHOLDER_RE.search(words[1]):
                self.fail(path, number, plan.env, "cd needs one literal directory")
                return cwd
            target = (cwd / words[1]).resolve()
            if not target.is_dir():
                self.fail(path, number, plan.env, f"cd {words[1]}: no such directory from {self.rel(cwd) or '.'}")
                return cwd
            return target
        if program == "aws":
            self.check_aws(path, number, words, plan, state)
        elif program == "terraform":
            self.check_terraform(path, number, words, plan, cwd)
        elif "/" in program and not program.startswith("/") and not PLACEHOLDER_RE.search(program):
            if not (cwd / program).exists():
                self.fail(path, number, plan.env, f"{program}: no such file from {self.rel(cwd) or '.'}")
        return cwd

    # -- aws --------------------------------------------------------------------------------

    def check_aws(self, path: Path, number: int, words: list[str], plan: Plan, state: FileState) -> None:
        self.counts["aws"] += 1
        args = []
        for word in words[1:]:
            m = re.match(r"^(fileb?://)(.*)$", word)
            args.append(f"{m.group(1)}{self.blob}" if m else word)
        error, calls = self.aws.run(args)
        label = " ".join(words[:3])
        if error:
            self.fail(path, number, plan.env, f"{label}: {error}")
            return
        for service, operation, params in calls:
            for problem in self.check_names(service, operation, params, plan, state):
                self.fail(path, number, plan.env, f"{label}: {problem}")

    def check_names(self, service: str, operation: str, params: dict, plan: Plan, state: FileState) -> list[str]:
        problems: list[str] = []
        names = plan.names

        def known(kind: str, value: str, what: str) -> None:
            if PLACEHOLDER_RE.fullmatch(value):
                if value.startswith("UNSET_"):
                    problems.append(f"{what} is ${placeholder_name(value)}, which no earlier command of the runbook sets")
                return
            if value in names.get(kind, set()) or value in state.created:
                return
            listed = ", ".join(sorted(names.get(kind, set()))[:6]) or "none"
            problems.append(f"{what} {value!r} is not in the {plan.env} plan (it has: {listed})")

        def only_computed(value: str, what: str) -> None:
            if not PLACEHOLDER_RE.fullmatch(value) or value.startswith("UNSET_"):
                problems.append(f"{what} {value!r} must come from an earlier command (Terraform does not name it)")

        checked: set[str] = set()

        def values(key: str) -> list[str]:
            value = params.get(key)
            if value is None:
                return []
            checked.add(key)
            return value if isinstance(value, list) else [value]

        if service == "lambda":
            for value in values("FunctionName"):
                function, qualifier = split_function(value)
                known("function", function, "function")
                if qualifier:
                    self.check_qualifier(function, qualifier, plan, problems)
            function = split_function(params.get("FunctionName", ""))[0]
            for value in values("Qualifier"):
                self.check_qualifier(function, value, plan, problems)
            if "Alias" in operation:
                for value in values("Name"):
                    aliases = plan.aliases.get(function, set())
                    if operation == "CreateAlias" and value in aliases:
                        problems.append(f"alias {value!r} is created and managed by Terraform; creating it collides")
                    elif operation != "CreateAlias" and value not in aliases and not PLACEHOLDER_RE.fullmatch(value):
                        problems.append(f"alias {value!r} of {function} is not in the {plan.env} plan")
            for value in values("FunctionVersion"):
                if not (value.isdigit() or value == "$LATEST" or PLACEHOLDER_RE.fullmatch(value)):
                    problems.append(f"function version {value!r} is neither a number nor a variable")
        elif service == "dynamodb":
            for key in ("TableName", "SourceTableName"):
                for value in values(key):
                    known("table", value, "table")
            for value in values("TargetTableName"):
                base = any(value == t or value.startswith(t + "-") for t in names.get("table", set()))
                if not base:
                    problems.append(f"restored table {value!r} must be the table's name or start with it")
                state.created.add(value)
            table = params.get("TableName") or params.get("SourceTableName")
            for value in values("IndexName"):
                if value not in plan.indexes.get(table, set()):
                    problems.append(f"index {value!r} is not an index of {table} in the {plan.env} plan")
            for value in values("BackupArn"):
                only_computed(value, "backup ARN")
            values("BackupName")
        elif service == "logs":
            for key in ("logGroupName", "logGroupIdentifier"):
                for value in values(key):
                    known("log-group", value, "log group")
            for key in ("logGroupNames", "logGroupIdentifiers"):
                for value in values(key):
                    known("log-group", value, "log group")
            for value in values("logGroupNamePrefix"):
                if not any(n.startswith(value) for n in names.get("log-group", set())):
                    problems.append(f"no log group in the {plan.env} plan starts with {value!r}")
        elif service == "cloudwatch":
            for key in ("DashboardName", "DashboardNames"):
                for value in values(key):
                    known("dashboard", value, "dashboard")
            for key in ("AlarmName", "AlarmNames"):
                for value in values(key):
                    known("alarm", value, "alarm")
            for value in values("AlarmNamePrefix"):
                if not any(n.startswith(value) for n in names.get("alarm", set())):
                    problems.append(f"no alarm in the {plan.env} plan starts with {value!r}")
            for key in ("RuleName", "RuleNames"):
                for value in values(key):
                    only_computed(value, "Contributor Insights rule")
        elif service == "secretsmanager":
            for value in values("SecretId"):
                known("secret", arn_name(value, ":secret:", strip_suffix=True), "secret")
        elif service == "events":
            for key in ("Name", "Rule"):
                for value in values(key):
                    known("rule", value, "rule")
            for value in values("EventBusName"):
                if value != "default":
                    known("bus", value, "event bus")
        elif service == "sns":
            for value in values("TopicArn"):
                known("topic", value.rsplit(":", 1)[-1] if value.startswith("arn:") else value, "topic")
        elif service == "sqs":
            for value in values("QueueName"):
                known("queue", value, "queue")
            for value in values("QueueUrl"):
                if not PLACEHOLDER_RE.fullmatch(value):
                    known("queue", value.rstrip("/").rsplit("/", 1)[-1], "queue")
                else:
                    known("queue", value, "queue URL")
        elif service == "cloudfront":
            for key in ("Id", "DistributionId"):
                for value in values(key):
                    only_computed(value, "distribution id")
        elif service == "iam":
            for value in values("RoleName"):
                known("role", value, "role")
        elif service == "s3":
            for value in values("Bucket"):
                if value not in names.get("state-bucket", set()):
                    known("bucket", value, "bucket")
        if operation.startswith("Create") and service != "dynamodb":
            for key in ("FunctionName", "TableName", "LogGroupName", "logGroupName", "Name", "QueueName"):
                value = params.get(key)
                if isinstance(value, str) and value in plan.all_names() and "Alias" not in operation:
                    problems.append(f"{value!r} is created and managed by Terraform; {operation} collides")
        # Any other string naming this project must name something that exists.
        for key, value in params.items():
            if key in checked:
                continue
            for text in strings(value):
                for name in NAME_RE.findall(text):
                    if name not in plan.all_names() and name not in state.created:
                        problems.append(f"{key} names {name!r}, which is not in the {plan.env} plan")
        return problems

    def check_qualifier(self, function: str, qualifier: str, plan: Plan, problems: list[str]) -> None:
        if qualifier.isdigit() or qualifier == "$LATEST" or PLACEHOLDER_RE.fullmatch(qualifier):
            return
        if qualifier not in plan.aliases.get(function, set()):
            problems.append(f"qualifier {qualifier!r} is not an alias of {function} in the {plan.env} plan")

    # -- terraform --------------------------------------------------------------------------

    def check_terraform(self, path: Path, number: int, words: list[str], plan: Plan, cwd: Path) -> None:
        self.counts["terraform"] += 1
        def fail(message: str) -> None:
            self.fail(path, number, plan.env, f"terraform: {message}")

        args = words[1:]
        workdir = cwd
        while args and args[0].startswith("-"):
            flag = args.pop(0)
            if flag.startswith("-chdir="):
                workdir = (cwd / flag.split("=", 1)[1]).resolve()
            elif flag not in ("-help", "-version"):
                fail(f"unknown global option {flag}")
        if workdir != self.tf_dir.resolve():
            fail(f"runs in {self.rel(workdir)}; cd infrastructure/terraform first")
            return
        if not args:
            return
        command = [args.pop(0)]
        commands = self.terraform.commands([])
        if command[0] not in commands:
            fail(f"unknown command {command[0]!r}")
            return
        sub = self.terraform.commands(command)
        if sub and args and not args[0].startswith("-"):
            if args[0] not in sub:
                fail(f"unknown command {command[0]} {args[0]!r}")
                return
            command.append(args.pop(0))
        flags = self.terraform.flags(command)
        positional: list[str] = []
        i = 0
        while i < len(args):
            arg = args[i]
            i += 1
            if not arg.startswith("-") or arg == "-":
                positional.append(arg)
                continue
            name, has_value, value = arg.partition("=")
            if name not in flags:
                fail(f"{' '.join(command)} has no option {name}")
                continue
            if flags[name] and not has_value:
                if i >= len(args):
                    fail(f"{name} needs a value")
                    continue
                value = args[i]
                i += 1
            self.check_terraform_value(name, value, workdir, plan, fail)
        if command == ["output"]:
            for name in positional:
                if name not in plan.outputs:
                    fail(f"output {name!r} is not in outputs.tf")
        if command[0] == "state" and command[1:] in (["show"], ["rm"], ["mv"]):
            for address in positional[:1]:
                if address not in plan.addresses:
                    fail(f"address {address!r} is not in the {plan.env} plan")

    def check_terraform_value(self, name: str, value: str, workdir: Path, plan: Plan, fail) -> None:
        if name == "-var-file" and not (workdir / value).is_file():
            fail(f"-var-file {value}: no such file in {self.rel(workdir)}")
        elif name == "-backend-config" and "=" not in value and not (workdir / value).is_file():
            fail(f"-backend-config {value}: no such file in {self.rel(workdir)}")
        elif name in ("-target", "-replace") and value not in plan.addresses:
            fail(f"{name}={value}: no such module or resource in the {plan.env} plan")
        elif name == "-var":
            variable = value.split("=", 1)[0]
            if variable not in plan.variables:
                fail(f"-var {variable}: not a variable of the root module")

    # -- the whole set ----------------------------------------------------------------------

    def check_set(self, files: list[Path]) -> None:
        runbooks = self.repo / "docs" / "runbooks"
        text = {p: p.read_text() for p in files}
        everything = "\n".join(text.values())
        for plan in self.all_plans():
            for alarm, description in sorted(plan.alarm_descriptions.items()):
                generic = alarm.replace(f"{PROJECT}-{plan.env}-", f"{PROJECT}-{{env}}-", 1)
                if generic not in everything:
                    self.fail(runbooks, 0, plan.env, f"alarm {generic} is in no runbook")
                linked = re.findall(r"docs/runbooks/([a-z0-9-]+\.md)", description)
                if not linked:
                    self.fail(runbooks, 0, plan.env, f"alarm {alarm}'s description names no runbook (docs/runbooks/...)")
                for name in linked:
                    if not (runbooks / name).is_file():
                        self.fail(runbooks, 0, plan.env, f"alarm {alarm}'s description names missing docs/runbooks/{name}")
        index = runbooks / "README.md"
        for p in files:
            if p.name != "README.md" and f"({p.name})" not in text.get(index, ""):
                self.fail(index, 0, None, f"the index does not link {p.name}")
            for number, line in enumerate(text[p].split("\n"), 1):
                for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", line):
                    if re.match(r"^[a-z]+:", target):
                        continue
                    if not (p.parent / target).exists():
                        self.fail(p, number, None, f"link to {target}: no such file")
            if p.name not in NOT_INCIDENTS:
                headings = re.findall(r"^#{2,3} (.+)$", text[p], flags=re.M)
                for section in INCIDENT_SECTIONS:
                    if not any(h.startswith(section) for h in headings):
                        self.fail(p, 0, None, f"incident runbook without a '## {section}' section")

    # -- reporting --------------------------------------------------------------------------

    def report(self) -> list[str]:
        """One line per failure; the same failure in every environment is reported once."""
        grouped: dict[tuple[str, int, str], list[str]] = {}
        for f in self.failures:
            message = generalize(f.message, f.env)
            grouped.setdefault((f.path, f.line, message), [])
            if f.env and f.env not in grouped[(f.path, f.line, message)]:
                grouped[(f.path, f.line, message)].append(f.env)
        lines = []
        for (path, line, message), envs in sorted(grouped.items()):
            where = f"{path}:{line}" if line else path
            label = f" [{', '.join(sorted(envs, key=list(self.plans).index))}]" if envs else ""
            lines.append(f"{where}:{label} {message}")
        return lines


def generalize(message: str, env: str | None) -> str:
    """`message` with the environment's name, where it stands for the environment, as {env}."""
    if not env:
        return message
    e = re.escape(env)
    message = re.sub(rf"(sentiment-analyzer[-/]){e}(?=[-/'`\s:]|$)", r"\1{env}", message)
    message = re.sub(rf"(?<![\w-]){e}(?= plan\b|\.tfvars?\b|\.hcl\b)", "{env}", message)
    return message


def split_function(value: str) -> tuple[str, str | None]:
    if value.startswith("arn:"):
        parts = value.split(":")
        return parts[6] if len(parts) > 6 else value, parts[7] if len(parts) > 7 else None
    name, _, qualifier = value.partition(":")
    return name, qualifier or None


def arn_name(value: str, marker: str, strip_suffix: bool = False) -> str:
    if not value.startswith("arn:") or marker not in value:
        return value
    name = value.split(marker, 1)[1]
    return re.sub(r"-[A-Za-z0-9]{6}$", "", name) if strip_suffix else name


def strings(value: object):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


# ---------------------------------------------------------------------------------------------
# The AWS CLI's own driver, cut off before the network
# ---------------------------------------------------------------------------------------------


class _Sent(BaseException):
    """Raised where botocore would send a request; a BaseException so the CLI cannot swallow it."""


class AwsCli:
    def __init__(self) -> None:
        for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_CA_BUNDLE"):
            os.environ.pop(variable, None)
        os.environ.update(
            AWS_ACCESS_KEY_ID="checker",
            AWS_SECRET_ACCESS_KEY="checker",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_REGION="us-east-1",
            AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
            AWS_EC2_METADATA_DISABLED="true",
            AWS_PAGER="",
        )
        try:
            import awscli.clidriver  # awscli first: it sets up the s3transfer it vendors
            import botocore.client
            import botocore.endpoint
        except ImportError as e:
            sys.exit(f"check_runbooks: cannot import awscli ({e}); run with the venv's python3")
        self.calls: list[tuple[str, str, dict]] = []
        calls = self.calls
        make_api_call = botocore.client.BaseClient._make_api_call

        def record(client, operation_name, api_params):
            calls.append((client.meta.service_model.service_name, operation_name, dict(api_params)))
            return make_api_call(client, operation_name, api_params)

        def refuse(endpoint, operation_model, request_dict):
            raise _Sent()

        botocore.client.BaseClient._make_api_call = record
        botocore.endpoint.Endpoint.make_request = refuse
        self.clidriver = awscli.clidriver
        self.driver = None

    def run(self, args: list[str]) -> tuple[str | None, list[tuple[str, str, dict]]]:
        """(error, calls): error is what the CLI said when it refused the command."""
        self.calls.clear()
        if self.driver is None:
            self.driver = self.clidriver.create_clidriver()
        driver = self.driver
        err = io.StringIO()
        argv0 = sys.argv[0]
        sys.argv[0] = "aws"
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
                rc = driver.main(args)
        except _Sent:
            return None, list(self.calls)
        except SystemExit as e:
            rc = e.code
        finally:
            sys.argv[0] = argv0
        if rc == 0:
            return None, list(self.calls)
        return cli_error(err.getvalue(), args), []


def cli_error(stderr: str, args: list[str]) -> str:
    text = stderr
    marker = "aws <command> <subcommand> help"
    if marker in text:
        text = text.rsplit(marker, 1)[1]
    text = " ".join(re.sub(r"^.*AWS CLI version 2.*$", "", text, flags=re.M).split())
    # argparse lists every valid choice; keep what was wrong and the suggestion.
    listing = text.find("Invalid choice, valid choices are:")
    wrong = text.rfind("Invalid choice: ")
    if listing >= 0 and wrong > listing:
        text = text[:listing] + text[wrong:]
    elif listing >= 0:
        positional = [a for a in args if not a.startswith("-")]
        which = {"command": 0, "operation": 1}.get((re.findall(r"argument (\w+):", text) or [""])[-1])
        word = positional[which] if which is not None and which < len(positional) else "?"
        text = text[:listing] + f"Invalid choice: {word!r}"
    return (text[:300] + "...") if len(text) > 300 else text or f"refused ({stderr.strip()[-200:]})"


# ---------------------------------------------------------------------------------------------
# Terraform's own help, for its commands and flags
# ---------------------------------------------------------------------------------------------


class TerraformCli:
    def __init__(self) -> None:
        self.cache: dict[tuple[str, ...], str] = {}

    def help(self, command: list[str]) -> str:
        key = tuple(command)
        if key not in self.cache:
            result = subprocess.run(["terraform", *command, "-help"], capture_output=True, text=True)
            self.cache[key] = result.stdout + result.stderr
        return self.cache[key]

    def commands(self, command: list[str]) -> set[str]:
        text = self.help(command)
        if "ubcommands:" not in text and "commands:" not in text:
            return set()
        if command:
            text = text.split("ubcommands:", 1)[1] if "ubcommands:" in text else ""
        return set(re.findall(r"^ {2,4}([a-z][a-z-]*) {2,}\S", text, flags=re.M))

    def flags(self, command: list[str]) -> dict[str, bool]:
        """-flag -> whether it takes a value. apply and destroy also take plan's options."""
        texts = [self.help(command)]
        if command[0] in ("apply", "destroy"):
            texts += [self.help(["plan"]), self.help(["apply"])]
        flags: dict[str, bool] = {}
        for text in texts:
            for name, rest in re.findall(r"^\s+(-[a-z][a-z0-9-]*)(\S*(?: '[^']*')?)", text, flags=re.M):
                takes_value = bool(rest) and rest not in ("=true", "=false")
                flags[name] = flags.get(name, False) or takes_value
        return flags


# ---------------------------------------------------------------------------------------------
# Self-test: the fixture must fail exactly where it says
# ---------------------------------------------------------------------------------------------


def general(failure: Failure) -> str:
    """The message with its environment's name written {env}, as the fixture states it."""
    return generalize(failure.message, failure.env)


def self_test(checker: Checker, plan_args: list[str]) -> int:
    fixture = HERE / "broken-runbook.md"
    checker.check_file(fixture)
    expected: list[tuple[int, str | None, str]] = []
    for number, line in enumerate(fixture.read_text().split("\n"), 1):
        for env, reason in re.findall(r"# expect(?:\[(\w+)\])?: (.+?)\s*(?:-->)?\s*$", line):
            expected.append((number, env or None, reason))
    problems: list[str] = []
    matched: set[int] = set()
    for number, env, reason in expected:
        hits = [
            i
            for i, f in enumerate(checker.failures)
            if f.line == number and reason in general(f) and (env is None or f.env == env)
        ]
        if not hits:
            problems.append(f"line {number}: expected a failure containing {reason!r}{f' in {env}' if env else ''}")
        matched.update(hits)
        if env:
            others = [f for f in checker.failures if f.line == number and f.env not in (env, None) and reason in general(f)]
            if others:
                problems.append(f"line {number}: {reason!r} must fail in {env} only, also failed in {others[0].env}")
    for i, f in enumerate(checker.failures):
        if i not in matched:
            problems.append(f"line {f.line}: unexpected failure [{f.env}] {f.message}")
    # The file as a whole must fail the build: a separate run must exit non-zero.
    run = subprocess.run(
        [sys.executable, __file__, "--repo", str(checker.repo), *plan_args, str(fixture)],
        capture_output=True,
        text=True,
    )
    if run.returncode == 0:
        problems.append("a run on the broken runbook exited 0")
    elif f"{checker.rel(fixture)}:" not in run.stdout + run.stderr:
        problems.append(f"a run on the broken runbook did not name FILE:LINE: {run.stdout}{run.stderr}")
    for problem in problems:
        print(f"self-test: {problem}", file=sys.stderr)
    if not problems:
        print(f"check_runbooks self-test: {len(expected)} expected failures found, none other, exit non-zero")
    return 1 if problems else 0


def execute(repo: Path, env: str, files: list[Path]) -> int:
    """Runs every `sh moto` block, {env} replaced, with bash against whatever AWS endpoint the
    environment names (scripts/check-infrastructure: moto). A file's blocks share one shell, each
    starting in the repository root. Fails on a failing command, or on one that prints only
    null/None: a --query path that matched nothing, i.e. a key or attribute the runbook names
    wrongly."""
    problems: list[str] = []
    ran = 0
    for path in files:
        blocks = [b for b in parse_markdown(path.read_text())[0] if MOTO_TAG in b.tags]
        if not blocks:
            continue
        script = [
            "set -euo pipefail",
            # awscli v1 sends SQS calls to AWS's queue host whatever AWS_ENDPOINT_URL says; the
            # option is honoured everywhere.
            'if [ -n "${AWS_ENDPOINT_URL:-}" ]; then aws() { command aws --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }; fi',
        ]
        for block in blocks:
            script.append(f"cd {json.dumps(str(repo))}")
            for number, line in logical_lines(block.lines):
                script.append(f"printf '\\n@@ {number}\\n'")
                script.append(line.replace("{env}", env))
                ran += 1
        result = subprocess.run(["bash", "-c", "\n".join(script)], capture_output=True, text=True, cwd=repo)
        outputs = re.split(r"^@@ (\d+)$", result.stdout, flags=re.M)
        rel = path.relative_to(repo)
        last = None
        for number, output in zip(outputs[1::2], outputs[2::2]):
            last = number
            if output.strip() in ("null", "None"):
                problems.append(f"{rel}:{number}: [{env}] printed {output.strip()}: its query matched nothing")
        if result.returncode != 0:
            problems.append(f"{rel}:{last}: [{env}] failed: {result.stderr.strip()[-500:]}")
    for problem in problems:
        print(problem)
    if problems:
        print(f"check_runbooks: {len(problems)} failures running the runbooks' moto blocks", file=sys.stderr)
        return 1
    print(f"check_runbooks: ran {ran} commands of the runbooks' moto blocks against {env}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plan", action="append", default=[], metavar="ENV=PLAN_JSON")
    parser.add_argument("--extra-plan", action="append", default=[], metavar="ENV=PLAN_JSON")
    parser.add_argument("--repo", default=str(HERE.parents[3]))
    parser.add_argument("--self-test", action="store_true")
    parser.add_argument("--execute", metavar="ENV", help="run the `sh moto` blocks against the endpoint in the environment")
    parser.add_argument("files", nargs="*")
    args = parser.parse_args()
    if args.execute:
        repo = Path(args.repo).resolve()
        files = [Path(f).resolve() for f in args.files] or sorted((repo / "docs" / "runbooks").glob("*.md"))
        return execute(repo, args.execute, files)
    if not args.plan:
        parser.error("--plan ENV=PLAN_JSON is needed (once per environment)")
    plans = {}
    for spec in args.plan:
        env, path = spec.split("=", 1)
        plans[env] = load_plan(env, path)
    extra = [load_plan(*spec.split("=", 1)) for spec in args.extra_plan]
    repo = Path(args.repo).resolve()
    for plan in [*plans.values(), *extra]:
        add_state_bucket(plan, repo / "infrastructure" / "terraform")
    checker = Checker(repo, plans, extra)
    if args.self_test:
        plan_args = [f"--plan={p}" for p in args.plan] + [f"--extra-plan={p}" for p in args.extra_plan]
        return self_test(checker, plan_args)
    if args.files:
        files = [Path(f).resolve() for f in args.files]
    else:
        files = sorted((checker.repo / "docs" / "runbooks").glob("*.md"))
        if not files:
            print("check_runbooks: no docs/runbooks/*.md", file=sys.stderr)
            return 1
    for f in files:
        checker.check_file(f)
    if not args.files:
        checker.check_set(files)
    lines = checker.report()
    for line in lines:
        print(line)
    if lines:
        print(f"check_runbooks: {len(lines)} failures in {len(files)} runbooks", file=sys.stderr)
        return 1
    per_env = {k: v // len(plans) for k, v in checker.counts.items()}
    print(
        f"check_runbooks: {len(files)} runbooks, {per_env['aws']} aws and {per_env['terraform']} terraform "
        f"commands checked for each of {', '.join(plans)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
