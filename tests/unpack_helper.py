#!/usr/bin/env python3
"""Helpers for tests/unpack.sh and bench/unpack/run: OCI layouts made from tar files, hostile layers,
and an entry-by-entry comparison of two trees.

  unpack_helper.py layout DIR REF [--gzip] [--media-type T] [--diff-id D] TAR...   an image whose layers are TARs
  unpack_helper.py gunzip-layout SRC REF DST                  the same image with every layer uncompressed
  unpack_helper.py hostile DIR OUTSIDE                        the hostile tars (DIR/<case>.<n>.tar)
  unpack_helper.py compare A B                                exit 0 when the trees are the same
"""
import gzip, hashlib, io, json, os, stat, sys, tarfile


def blob(layout, data):
    d = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(layout, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d


def write_image(layout, ref, layers, config_extra=None):
    """layers: (bytes as stored, media type, diff_id)"""
    os.makedirs(layout, exist_ok=True)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    cfg = {"architecture": "amd64", "os": "linux",
           "config": {"Env": ["PATH=/usr/bin:/bin", "A=b c"], "Entrypoint": ["/bin/echo"], "Cmd": ["hello"],
                      "WorkingDir": "/tmp", "User": "0:0", "Labels": {"org.example.test": "yes"}},
           "rootfs": {"type": "layers", "diff_ids": [l[2] for l in layers]}}
    if config_extra:
        cfg.update(config_extra)
    cdata = json.dumps(cfg).encode()
    man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": blob(layout, cdata), "size": len(cdata)},
           "layers": [{"mediaType": mt, "digest": blob(layout, data), "size": len(data)} for data, mt, _ in layers]}
    mdata = json.dumps(man).encode()
    idx_path = os.path.join(layout, "index.json")
    idx = {"schemaVersion": 2, "manifests": []}
    if os.path.exists(idx_path):
        idx = json.load(open(idx_path))
    idx["manifests"] = [m for m in idx["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != ref]
    idx["manifests"].append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": blob(layout, mdata),
                             "size": len(mdata), "annotations": {"org.opencontainers.image.ref.name": ref}})
    with open(idx_path, "w") as f:
        json.dump(idx, f)


def cmd_layout(args):
    layout, ref = args[0], args[1]
    gz, mt, diff, tars = False, None, None, []
    i = 2
    while i < len(args):
        if args[i] == "--gzip": gz = True
        elif args[i] == "--media-type": mt = args[i + 1]; i += 1
        elif args[i] == "--diff-id": diff = args[i + 1]; i += 1
        else: tars.append(args[i])
        i += 1
    layers = []
    for t in tars:
        raw = open(t, "rb").read() if not t.endswith(".gz") else None
        if raw is None:   # an already-compressed file: its diff_id is its gunzipped content's
            data = open(t, "rb").read()
            try:
                plain = gzip.decompress(data)
            except Exception:
                plain = b""
            layers.append((data, mt or "application/vnd.oci.image.layer.v1.tar+gzip", diff or "sha256:" + hashlib.sha256(plain).hexdigest()))
            continue
        d = diff or "sha256:" + hashlib.sha256(raw).hexdigest()
        if gz:
            layers.append((gzip.compress(raw, 6, mtime=0), mt or "application/vnd.oci.image.layer.v1.tar+gzip", d))
        else:
            layers.append((raw, mt or "application/vnd.oci.image.layer.v1.tar", d))
    write_image(layout, ref, layers)


def cmd_gunzip_layout(args):
    src, ref, dst = args
    idx = json.load(open(os.path.join(src, "index.json")))
    m = [m for m in idx["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == ref][0]
    rd = lambda d: open(os.path.join(src, "blobs", *d.split(":")), "rb").read()
    man = json.loads(rd(m["digest"]))
    cfg = json.loads(rd(man["config"]["digest"]))
    layers = []
    for l, diff in zip(man["layers"], cfg["rootfs"]["diff_ids"]):
        data = rd(l["digest"])
        if l["mediaType"].endswith("gzip"):
            data = gzip.decompress(data)
        layers.append((data, "application/vnd.oci.image.layer.v1.tar", diff))
    os.makedirs(dst, exist_ok=True)
    with open(os.path.join(dst, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    cdata = json.dumps(cfg).encode()
    man2 = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": blob(dst, cdata), "size": len(cdata)},
            "layers": [{"mediaType": mt, "digest": blob(dst, data), "size": len(data)} for data, mt, _ in layers]}
    mdata = json.dumps(man2).encode()
    with open(os.path.join(dst, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                   "digest": blob(dst, mdata), "size": len(mdata), "annotations": {"org.opencontainers.image.ref.name": ref}}]}, f)


def tar_of(entries, fmt=tarfile.PAX_FORMAT):
    """entries: (name, type, extra dict); type 'f' file (data), 'd' dir, 'l' symlink, 'h' hardlink"""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for name, typ, ex in entries:
            ti = tarfile.TarInfo(name)
            ti.mtime = 1700000000
            ti.mode = ex.get("mode", 0o755 if typ == "d" else 0o644)
            data = ex.get("data", b"")
            if typ == "d": ti.type = tarfile.DIRTYPE
            elif typ == "l": ti.type = tarfile.SYMTYPE; ti.linkname = ex["link"]
            elif typ == "h": ti.type = tarfile.LNKTYPE; ti.linkname = ex["link"]
            else: ti.size = len(data)
            t.addfile(ti, io.BytesIO(data) if typ == "f" else None)
    return buf.getvalue()


def cmd_hostile(args):
    out, outside = args
    os.makedirs(out, exist_ok=True)
    f = lambda n, d=b"pwned\n": (n, "f", {"data": d})
    cases = {
        # name: list of layers; each a list of entries
        "dotdot": [[f("../escape")]],
        "dotdot-deep": [[("a", "d", {}), f("a/../../escape")]],
        "absolute": [[f(outside + "/abs-escape")]],
        "symlink-same-layer": [[("ln", "l", {"link": outside}), f("ln/pwned")]],
        "symlink-relative-up": [[("ln", "l", {"link": "../../../../../../../../" + outside.lstrip("/")}), f("ln/pwned")]],
        "symlink-earlier-layer": [[("ln", "l", {"link": outside})], [f("ln/pwned")]],
        "symlink-dir-chain": [[("a", "d", {}), ("a/b", "l", {"link": "../../../../.."}), f("a/b" + outside + "/pwned")]],
        "symlink-replaced-by-file": [[("victim", "l", {"link": outside + "/victim"})], [f("victim")]],
        "hardlink-outside-dotdot": [[("hl", "h", {"link": "../" * 8 + outside.lstrip("/") + "/victim"})]],
        "hardlink-outside-abs": [[("hl", "h", {"link": outside + "/victim"})]],
        "hardlink-via-symlink": [[("ln", "l", {"link": outside}), ("hl", "h", {"link": "ln/victim"})]],
        "hardlink-to-symlink": [[("s", "l", {"link": outside + "/victim"}), ("h", "h", {"link": "s"}), f("h/x")]],
        "whiteout-dotdot": [[("a", "d", {}), ("a/.wh...", "f", {})]],
        "whiteout-dot": [[("a", "d", {}), ("a/.wh..", "f", {})]],
        "whiteout-through-symlink": [[("ln", "l", {"link": outside})], [("ln/.wh.victim", "f", {})]],
        "opaque-through-symlink": [[("ln", "l", {"link": outside})], [("ln/.wh..wh..opq", "f", {})]],
    }
    for name, layers in cases.items():
        for i, entries in enumerate(layers):
            with open(os.path.join(out, "%s.%d.tar" % (name, i)), "wb") as fh:
                fh.write(tar_of(entries))
    # broken archives
    good = tar_of([("a", "d", {}), f("a/file", b"x" * 3000)])
    open(os.path.join(out, "truncated.0.tar"), "wb").write(good[:1536 + 700])
    bad = bytearray(good); bad[148:156] = b"0000000\0"
    open(os.path.join(out, "badchecksum.0.tar"), "wb").write(bytes(bad))
    gz = gzip.compress(good, 6, mtime=0)
    open(os.path.join(out, "gz-truncated.0.tar.gz"), "wb").write(gz[:len(gz) // 2])
    open(os.path.join(out, "gz-trailing.0.tar.gz"), "wb").write(gz + b"garbage!")
    b = bytearray(gz); b[-8] ^= 0xff
    open(os.path.join(out, "gz-badcrc.0.tar.gz"), "wb").write(bytes(b))
    b = bytearray(gz); b[-4] ^= 0x01
    open(os.path.join(out, "gz-badisize.0.tar.gz"), "wb").write(bytes(b))
    # a bomb: 64 MiB of zeros in one file, a few KiB compressed
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        ti = tarfile.TarInfo("zeros"); ti.size = 64 << 20
        class Z(io.RawIOBase):
            left = 64 << 20
            def readable(self): return True
            def readinto(self, b):
                n = min(len(b), self.left); b[:n] = bytes(n); self.left -= n; return n
        t.addfile(ti, io.BufferedReader(Z()))
    open(os.path.join(out, "bomb.0.tar.gz"), "wb").write(gzip.compress(buf.getvalue(), 9, mtime=0))


def snapshot(root):
    out, inodes = {}, {}
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames + ([""] if dirpath == root else []):
            p = os.path.join(dirpath, n) if n else dirpath
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            e = {"type": stat.S_IFMT(st.st_mode), "mode": oct(stat.S_IMODE(st.st_mode)), "uid": st.st_uid, "gid": st.st_gid}
            if stat.S_ISREG(st.st_mode):
                h = hashlib.sha256()
                with open(p, "rb") as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        h.update(chunk)
                e["size"] = st.st_size
                e["sha256"] = h.hexdigest()
                e["mtime"] = int(st.st_mtime)
                inodes.setdefault((st.st_dev, st.st_ino), []).append(rel)
            elif stat.S_ISLNK(st.st_mode):
                e["target"] = os.readlink(p)
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                e["rdev"] = (os.major(st.st_rdev), os.minor(st.st_rdev))
            try:
                names = sorted(x for x in os.listxattr(p, follow_symlinks=False) if not x.startswith("security.selinux"))
                e["xattrs"] = {x: os.getxattr(p, x, follow_symlinks=False).hex() for x in names}
            except OSError:
                pass
            out[rel] = e
    for paths in inodes.values():
        for p in paths:
            out[p]["links"] = sorted(paths)
    return out


def cmd_compare(args):
    a, b = snapshot(args[0]), snapshot(args[1])
    diffs = 0
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            diffs += 1
            if diffs <= 20:
                print("DIFF %s:\n  %s\n  %s" % (k, a.get(k), b.get(k)))
    print("%d entries compared, %d differ" % (len(set(a) | set(b)), diffs))
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    cmds = {"layout": cmd_layout, "gunzip-layout": cmd_gunzip_layout, "hostile": cmd_hostile, "compare": cmd_compare}
    cmds[sys.argv[1]](sys.argv[2:])
