#!/usr/bin/env python3
"""Writes registries.conf files from a small grammar for tests/go_diff_registries.sh (issue 16): keys
in random case, right and wrong types, known and unknown tables, TOML's number, date and string forms,
valid and not, v1 and v2; every fourth gNNNN.conf has drop-ins in gNNNN.d/. Deterministic:
gen_regconf.py DIR COUNT SEED."""
import os
import random
import sys

out, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
R = random.Random(seed)

# no bracketed IPv6 hosts: crioimg's reference grammar reads them (distribution/reference 2.8+), the
# packaged containers/image's does not: a difference of reference parsing, outside this test
HOSTS = ["quay.io", "docker.io", "registry.com", "registry-a.com", "example.com:5000", "localhost:5000", "10.1.2.3",
         "mirror-1.registry.com", "m.example", "quay.io/x", "registry.com/foo"]
PREFIXES = HOSTS + ["*.registry.com", "*.example", "registry.com/foo/bar"]
ALIAS_NAMES = ["nginx", "repo/image", "docker", "quay/foo", "example", "a/b/c", "barz"]
ALIAS_VALUES = ["quay.io/nginx/nginx", "docker.io/library/nginx", "localhost:5000/x/y", "example.com/r", ""]
BAD_ALIASES = [("x:1", "a.com/x"), ("a.com/x", "b.com/x"), ("nginx", "b/x"), ("nginx", "B.com/X"), ("nginx", "registry.com/x:1")]


def rare(good, bad, p=0.05):
    """mostly good, now and then bad: most files should load, for resolution to be compared"""
    return R.choice(bad) if R.random() < p else R.choice(good)


CASES = {}


def case(k):
    """k in a random case, the same all through one file (two spellings of one field in one table are
    a pinned difference: the decoder keeps either, by map order): as written mostly; else upper,
    title, mixed, or with Go's extra folds"""
    if k not in CASES:
        CASES[k] = case1(k)
    return CASES[k]


def case1(k):
    c = R.random()
    if c < 0.6:
        return k
    if c < 0.7:
        return k.upper()
    if c < 0.8:
        return "-".join(p.capitalize() for p in k.split("-"))
    if c < 0.95:
        return "".join(ch.upper() if R.random() < 0.5 else ch for ch in k)
    return k.replace("s", "\u017f", 1).replace("k", "\u212a", 1)  # long s, Kelvin sign: fold to s, k


def quote_key(k):
    if all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in k) and R.random() < 0.7:
        return k
    return R.choice(['"%s"', "'%s'"]) % k.replace("\\", "\\\\").replace('"', '\\"') if "'" not in k else '"%s"' % k


def string(s):
    f = R.random()
    if f < 0.5:
        return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')
    if f < 0.75 and "'" not in s:
        return "'%s'" % s
    if f < 0.85:
        return '"""%s"""' % s.replace("\\", "\\\\")
    if f < 0.92 and "'" not in s:
        return "'''\n%s'''" % s
    # escapes for every character
    return '"%s"' % "".join("\\u%04x" % ord(ch) if R.random() < 0.3 else ch for ch in s.replace("\\", "/").replace('"', "'"))


NUMBERS_OK = ["0", "+0", "-0", "1", "-17", "1_000", "0xdead_BEEF", "0o755", "0b1010", "3.14", "-0.01", "5e+22", "1e06", "-2E-2",
              "6.626e-34", "inf", "-inf", "+nan", "nan", "9223372036854775807", "-9223372036854775808", "1e-400", "224_617.445_991"]
NUMBERS_BAD = ["01", "+01", "1__0", "_1", "1_", "0XFF", "0x", "1e", "1.", ".5", "1.e5", "9223372036854775808", "0x8000000000000000",
               "1e400", "-0x1", "0b2", "0o8", "1e_5", "+-1", "infinity", "Inf", "truee", "1.5e", "1e5.5"]
DATES_OK = ["1979-05-27T07:32:00Z", "1979-05-27T00:32:00-07:00", "1979-05-27T00:32:00.999999+07:00", "1979-05-27 07:32:00",
            "1979-05-27t07:32:00z", "1979-05-27T07:32:00", "1979-05-27", "07:32:00", "00:32:00.999999", "2000-02-29",
            "1979-05-27 07:32:00Z", "07:32:00.123456789", "1979-05-27T07:32:00+99:99"]
DATES_BAD = ["2021-02-29", "1979-13-01", "1979-05-32", "1979-05-27T25:00:00", "1979-05-27T07:60:00", "1979-05-27T07:32:60",
             "1979-5-27", "07:32", "1979-05-27T07:32", "07:32:00.1234567891", "1979-05-27T07:32:00.0123456789Z", "1979-05-27T07:32:00+7:00", "1979-05-27X07:32:00", "1979-05-27T07:32:00.Z"]


def any_value(depth=0, good=True):
    c = R.random()
    if c < 0.25:
        return string(R.choice(HOSTS + ["", "x y", "caf\u00e9", "tab\there"]))
    if c < 0.4:
        return R.choice(NUMBERS_OK if good or R.random() < 0.5 else NUMBERS_BAD)
    if c < 0.5:
        return R.choice(DATES_OK if good or R.random() < 0.5 else DATES_BAD)
    if c < 0.6:
        return R.choice(["true", "false"])
    if c < 0.8 and depth < 3:
        items = [any_value(depth + 1, good) for _ in range(R.randint(0, 3))]
        sep = R.choice([", ", ",\n  ", " , "])
        return "[" + sep.join(items) + (R.choice(["", ","]) if items else "") + "]"
    if depth < 3:
        return "{" + ", ".join("%s = %s" % (R.choice(["a%d", "b.c%d", "d%d", "'e f%d'"]) % i, any_value(depth + 1, good))
                               for i in range(R.randint(0, 2))) + "}"
    return "1"


def wrong(kind):
    """a value of another type than kind"""
    opts = {"str": ["1", "true", "['a.com']", "{}", "1979-05-27"], "bool": ['"yes"', "1", "[]", "{x = 1}"],
            "strs": ['"a.com"', "1", "[1]", "[['a.com']]", "[{location = 'a.com'}]", "{}"],
            "tables": ['"x"', "1", "['host']", "[1]", "{}", "true"]}
    return R.choice(opts[kind])


class Gen:
    def __init__(self):
        self.lines = []
        self.good = R.random() < 0.9    # a file that means to be valid TOML
        self.typed = R.random() < 0.9   # a file that means to give every known key its type

    def kv(self, key, val):
        self.lines.append("%s = %s%s" % (quote_key(key), val, R.choice(["", "", "  # note", "\t#\u00e9t\u00e9"])))

    def keys(self, fields):
        """fields in random case; never two that fold together (the decoder would pick by map order)"""
        return [(f, case(f)) for f in fields]

    def endpoint(self, fields):
        for f, k in fields:
            if f == "location":
                self.kv(k, string(rare(HOSTS, ["http://quay.io", "https://x.com/", ""])) if self.typed else wrong("str"))
            elif f in ("insecure", "blocked", "mirror-by-digest-only"):
                self.kv(k, R.choice(["true", "false"]) if self.typed else wrong("bool"))
            elif f == "pull-from-mirror":
                self.kv(k, string(rare(["all", "digest-only", "tag-only", ""], ["bogus"])) if self.typed else wrong("str"))
            elif f == "prefix":
                self.kv(k, string(rare(PREFIXES, ["*.a.com:5000", "quay.io/"], 0.1)) if self.typed else wrong("str"))

    def registry(self):
        reg = quote_key(case("registry"))
        self.lines.append("[[%s]]" % reg)
        fields = R.sample(["prefix", "location", "insecure", "blocked", "mirror-by-digest-only"] + (["pull-from-mirror"] if R.random() < 0.1 else []),
                          R.randint(1, 4))
        if "location" not in fields and R.random() < 0.8:
            fields.append("location")
        self.endpoint(self.keys(fields))
        if R.random() < 0.2:
            self.kv("unknown-" + str(R.randint(0, 9)), any_value(0, self.good))
        r = R.random()
        if r < 0.3:
            for _ in range(R.randint(1, 2)):
                self.lines.append("[[%s.%s]]" % (reg, quote_key(case("mirror"))))
                mf = R.sample(["insecure", "pull-from-mirror"], R.randint(0, 2))
                self.endpoint(self.keys(mf + (["location"] if R.random() < 0.9 else [])))
        elif r < 0.4:
            self.kv(case("mirror"), "[{location = %s}, {location = %s, insecure = true}]" % (string(R.choice(HOSTS)), string(R.choice(HOSTS))))
        elif r < 0.45:
            self.kv(case("mirror"), wrong("tables"))

    def root(self):
        for f in R.sample(["unqualified-search-registries", "short-name-mode", "credential-helpers"], R.randint(0, 3)):
            k = case(f)
            if f == "short-name-mode":
                self.kv(k, string(rare(["enforcing", "permissive", "disabled", ""], ["bogus"])) if self.typed else wrong("str"))
            else:
                vals = R.sample(HOSTS if f.startswith("u") else ["containers-auth.json", "pass", "secretservice"], R.randint(0, 3))
                self.kv(k, "[" + ", ".join(string(v) for v in vals) + "]" if self.typed else wrong("strs"))
        for _ in range(R.randint(0, 2)):
            n = R.randint(0, 99)
            self.lines.append("%s = %s" % (R.choice(["unknown%d", "x%d", '"Ünïcode%d"', "a.b%d", "'q.k%d'"]) % n, any_value(0, self.good)))

    def aliases(self):
        self.lines.append("[%s]" % quote_key(case("aliases")))
        for n in R.sample(ALIAS_NAMES, R.randint(0, 3)):
            self.kv(n, string(R.choice(ALIAS_VALUES)) if self.typed or R.random() < 0.5 else wrong("str"))
        if R.random() < 0.05:
            self.kv(*(lambda a: (a[0], string(a[1])))(R.choice(BAD_ALIASES)))

    def v1(self):
        for sec in R.sample(["search", "insecure", "block"], R.randint(1, 3)):
            self.lines.append("[%s.%s]" % (quote_key(case("registries")), quote_key(case(sec))))
            vals = R.sample(HOSTS, R.randint(0, 3))
            self.kv(case("registries"), "[" + ", ".join(string(v) for v in vals) + "]" if self.typed else wrong("strs"))

    def unknown(self):
        c = R.random()
        if c < 0.3:
            self.lines.append("[registries.unknown%d]" % R.randint(0, 9))
        elif c < 0.5:
            self.lines.append("[[%s]]" % quote_key(case("aliases")))
        elif c < 0.7:
            self.lines.append("[other.t%d]" % R.randint(0, 9))
        else:
            self.lines.append("[[other]]")
        for _ in range(R.randint(0, 2)):
            self.kv("k" + str(R.randint(0, 99)), any_value(0, self.good))

    def breakage(self):
        """something invalid as TOML"""
        c = R.random()
        if c < 0.2:
            self.lines.append("# bad \xff byte")
        elif c < 0.35:
            self.lines.insert(R.randint(0, len(self.lines)), "dup = 1\ndup = 2")
        elif c < 0.5:
            self.lines.append("t = 1\n[t]")
        elif c < 0.6:
            self.lines.append("s = \"unterminated")
        elif c < 0.7:
            self.lines.append("[a.b]\nc = 1\n[a]\nb.d = 2")
        elif c < 0.8:
            self.lines.append("x = {a = 1}\n[x.b]")
        elif c < 0.9:
            self.lines.append("arr = []\n[[arr]]")
        else:
            self.lines.append("k = \"\\x41\"")

    def file(self):
        v1 = R.random() < 0.2  # a v1 file (v1 and v2 mixed: now and then)
        if not v1 or R.random() < 0.1:
            self.root()
        kinds = R.choices(["registry", "aliases", "v1", "unknown"], weights=[0.3, 0.3, 5, 1.5] if v1 else [5, 2, 0.1, 1.5], k=R.randint(0, 5))
        seen = set()
        for k in kinds:
            if k in ("aliases", "v1") and k in seen:
                continue
            seen.add(k)
            getattr(self, k)()
        if not self.good:
            self.breakage()
        return "\n".join(self.lines) + R.choice(["\n", "", "\r\n"])


def write(path):
    CASES.clear()
    text = Gen().file()
    with open(path, "wb") as f:
        f.write(text.encode("utf-8").replace("\xff".encode("utf-8"), b"\xff"))


for i in range(count):
    write("%s/g%04d.conf" % (out, i))
    if i % 4 == 0:
        os.mkdir("%s/g%04d.d" % (out, i))
        for j in range(R.randint(1, 2)):
            write("%s/g%04d.d/%d0-drop.conf" % (out, i, j + 1))
