# Python's tarfile as an independent layer writer and reader for krgo's tests (run with Debian's python3).
#   layer FORMAT OUT         write a layer in ustar|gnu|pax made entry by entry (hand-set pax headers)
#   rootless OUT1 OUT2       two layers whose modes deny their owner what extraction needs (0000 files, 0000/0500/0555
#                            dirs with entries below, a whiteout and an opaque dir inside such dirs)
#   bytenames FORMAT OUT     a layer whose names are bytes: latin-1 (not UTF-8), UTF-8 holding U+FFFD, plain UTF-8
#   names DIR                JSON: every path below DIR as hex of its bytes -> [type, size, content hex or link]
#   badcap OUT               a pax layer whose security.capability value is 3 bytes (the kernel refuses it)
#   dump TAR                 JSON of every member: type, mode, uid, gid, mtime, linkname, pax records (hex)
#   sparsecmp A B            compare two sparse files by their data regions; prints JSON
#   strip-global IN OUT      copy of IN without its PAX global headers (umoci 0.4.7 refuses typeflag 'g')
#   break KIND IN OUT        write a malformed copy of the (uncompressed) tar IN
import io
import json
import os
import sys
import tarfile

DEEP = "".join("%02d%s/" % (i, "d" * 198) for i in range(19))
DEEP = DEEP + "f" * (4000 - len(DEEP))
LINK_300 = "../" + "t" * 297


def info(name, kind=tarfile.REGTYPE, mode=0o644, uid=0, gid=0, mtime=1_600_000_000, data=b""):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mode = mode
    ti.uid, ti.gid = uid, gid
    ti.mtime = mtime
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    return ti, (io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def parents(path):
    parts = path.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def add_with_parents(tf, seen, ti, f):
    for d in parents(ti.name.rstrip("/")):
        if d not in seen:
            seen.add(d)
            tf.addfile(info(d, tarfile.DIRTYPE, 0o755)[0])
    tf.addfile(ti, f)


def layer(fmt, out):
    form = {"ustar": tarfile.USTAR_FORMAT, "gnu": tarfile.GNU_FORMAT, "pax": tarfile.PAX_FORMAT}[fmt]
    glob = {"comment": "a global header from python", "krgo.test": "global"} if fmt == "pax" else {}
    entries = [
        info("etc", tarfile.DIRTYPE, 0o755),
        info("etc/shadow", mode=0o000, data=b"root:*:19000:0:99999:7:::\n"),
        info("etc/ro", tarfile.DIRTYPE, 0o555),
        info("etc/ro/a", data=b"a\n"),
        info("data", tarfile.DIRTYPE, 0o755),
        info("data/a", data=b"shared\n", uid=1000, gid=1000),
        info("dev", tarfile.DIRTYPE, 0o755),
        info("dev/fifo", tarfile.FIFOTYPE, 0o600),
    ]
    link = info("data/a-link", tarfile.LNKTYPE)[0]
    link.linkname = "data/a"
    entries.append((link, None))
    sym = info("data/sym", tarfile.SYMTYPE, 0o777)[0]
    sym.linkname = "a"
    entries.append((sym, None))
    dev = info("dev/null", tarfile.CHRTYPE, 0o666)[0]
    dev.devmajor, dev.devminor = 1, 3
    entries.append((dev, None))
    # 255 bytes: a 154-byte directory and a 100-byte name fit ustar's prefix and name fields.
    entries.append(info("p" * 154, tarfile.DIRTYPE, 0o755))
    entries.append(info("p" * 154 + "/" + "n" * 100, data=b"255\n"))
    if fmt == "ustar":
        entries.append(info("data/maxuid", uid=0o7777777, gid=0o7777777, data=b"max\n"))
        entries.append(info("data/maxtime", mtime=0o77777777777, data=b"2242\n"))
    else:
        entries.append(info("owner", tarfile.DIRTYPE, 0o755))
        entries.append(info("owner/big", uid=3_000_000, gid=3_000_000, data=b"big\n"))
        entries.append(info("time", tarfile.DIRTYPE, 0o755))
        entries.append(info("time/y2300", mtime=10_413_792_000, data=b"future\n"))
        entries.append(info("time/y1901", mtime=-2_147_472_000, data=b"past\n"))
        entries.append(info(DEEP, data=b"deep\n"))
        entries.append(info("links", tarfile.DIRTYPE, 0o755))
        longlink = info("links/long", tarfile.SYMTYPE, 0o777)[0]
        longlink.linkname = LINK_300
        entries.append((longlink, None))
    if fmt == "pax":
        neg, _ = info("time/minus-half", data=b"-0.5\n")
        neg.mtime = -0.5
        entries.append((neg, io.BytesIO(b"-0.5\n")))
        nanos, _ = info("time/nanos", data=b"nanos\n")
        nanos.pax_headers = {"mtime": "10413792000.123456789", "atime": "10413792000.5"}
        entries.append((nanos, io.BytesIO(b"nanos\n")))
        entries.append(info("usr", tarfile.DIRTYPE, 0o755))
        entries.append(info("usr/local", tarfile.DIRTYPE, 0o755))
        entries.append(info("usr/local/bin", tarfile.DIRTYPE, 0o755))
        cap, _ = info("usr/local/bin/capped", mode=0o755, data=b"#!/bin/sh\n")
        # cap_setuid,cap_setgid,cap_net_bind_service+ep (v2) as setcap writes it: byte 0xc0 is not UTF-8.
        cap.pax_headers = {"SCHILY.xattr.security.capability":
                           bytes.fromhex("01000002c0040000000000000000000000000000").decode("utf-8", "surrogateescape")}
        entries.append((cap, io.BytesIO(b"#!/bin/sh\n")))
        x, _ = info("data/xattrs", data=b"x\n")
        x.pax_headers = {"SCHILY.xattr.user.a+b": "plus", "SCHILY.xattr.user.utf8": "gr\u00fc\u00dfe"}
        entries.append((x, io.BytesIO(b"x\n")))
    seen = set()
    with tarfile.open(out, "w", format=form, pax_headers=glob) as tf:
        for ti, f in entries:
            if ti.type == tarfile.DIRTYPE:
                seen.add(ti.name)
            add_with_parents(tf, seen, ti, f)


def rootless(out1, out2):
    d = tarfile.DIRTYPE
    l1 = [
        info("etc", d, 0o755),
        info("etc/shadow", mode=0o000, data=b"root:*:19000:0:99999:7:::\n"),
        info("etc/gshadow", mode=0o400, data=b"root:*::\n"),
        info("etc/hostname", mode=0o644, data=b"image\n"),
        info("d0000", d, 0o000),
        info("d0000/f", mode=0o644, data=b"in 0000\n"),
        info("d0000/sub", d, 0o755),
        info("d0000/sub/g", mode=0o600, data=b"deeper\n"),
        info("d0500", d, 0o500),
        info("d0500/f", mode=0o444, uid=1000, gid=1000, data=b"in 0500\n"),
        info("d0555", d, 0o555),
        info("d0555/x", mode=0o644, data=b"to be whited out\n"),
        info("d0555/keep", mode=0o644, data=b"kept\n"),
        info("d0555/sub0000", d, 0o000),
        info("d0555/sub0000/h", mode=0o000, data=b"locked\n"),
        info("opq", d, 0o000),
        info("opq/old", mode=0o644, data=b"old\n"),
    ]
    l2 = [
        # Into directories of the lower layer that deny writing, with and without their own entry again.
        info("d0000/new", mode=0o644, data=b"new in 0000\n"),
        info("d0500", d, 0o500),
        info("d0500/new", mode=0o644, data=b"new in 0500\n"),
        info("d0555/.wh.x", mode=0o644),
        info("d0555/sub0000/.wh.h", mode=0o644),
        info("opq", d, 0o000),
        info("opq/.wh..wh..opq", mode=0o644),
        info("opq/new", mode=0o644, data=b"new in opaque\n"),
        # A file of mode 0000 replaced by another one.
        info("etc/shadow", mode=0o000, data=b"root:!:19001:0:99999:7:::\n"),
    ]
    for out, entries in ((out1, l1), (out2, l2)):
        with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tf:
            for ti, f in entries:
                tf.addfile(ti, f)


BYTE_NAMES = [b"bytes/caf\xe9", b"bytes/\xef\xbf\xbd-replacement", "bytes/gr\u00fc\u00dfe".encode(),
              b"bytes/dir-\xff", b"bytes/dir-\xff/inner\xa0file"]


def bytenames(fmt, out):
    form = {"ustar": tarfile.USTAR_FORMAT, "gnu": tarfile.GNU_FORMAT, "pax": tarfile.PAX_FORMAT}[fmt]
    entries = [info("bytes", tarfile.DIRTYPE, 0o755)]
    for raw in BYTE_NAMES:
        # tarfile takes str names and writes them back with surrogateescape: the bytes as given.
        name = raw.decode("utf-8", "surrogateescape")
        if raw.endswith(b"\xff"):
            entries.append(info(name, tarfile.DIRTYPE, 0o755))
        else:
            entries.append(info(name, data=raw + b"\n"))
    link = info("bytes/link-\udce9", tarfile.SYMTYPE, 0o777)[0]
    link.linkname = "caf\udce9"
    entries.append((link, None))
    with tarfile.open(out, "w", format=form, encoding="utf-8", errors="surrogateescape") as tf:
        for ti, f in entries:
            tf.addfile(ti, f)


def badcap(out):
    ti, f = info("bin/capped", mode=0o755, data=b"#!/bin/sh\n")
    ti.pax_headers = {"SCHILY.xattr.security.capability": "\x01\x02\x03"}
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tf:
        tf.addfile(info("bin", tarfile.DIRTYPE, 0o755)[0])
        tf.addfile(ti, f)


def names(root):
    out = {}
    root = os.fsencode(root)
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            if os.path.islink(p):
                what = ["link", 0, os.readlink(p).hex()]
            elif os.path.isdir(p):
                what = ["dir", 0, ""]
            else:
                what = ["file", st.st_size, open(p, "rb").read().hex()]
            out[rel.hex()] = what
    print(json.dumps(out, sort_keys=True))


def dump(path):
    out = {"global": {}, "members": {}}
    with tarfile.open(path, "r:*") as tf:
        for m in tf:
            pax = {k: v.encode("utf-8", "surrogateescape").hex() for k, v in m.pax_headers.items()}
            out["members"][m.name] = {"nameHex": m.name.encode("utf-8", "surrogateescape").hex(), "type": m.type.decode(), "mode": m.mode, "uid": m.uid, "gid": m.gid,
                                      "mtime": str(m.mtime), "linkname": m.linkname, "size": m.size,
                                      "sparse": m.issparse(), "pax": pax}
        out["global"] = {k: v.encode("utf-8", "surrogateescape").hex() for k, v in tf.pax_headers.items()}
    print(json.dumps(out))


def data_regions(path):
    regions = []
    with open(path, "rb") as f:
        fd = f.fileno()
        size = os.fstat(fd).st_size
        off = 0
        while off < size:
            try:
                start = os.lseek(fd, off, os.SEEK_DATA)
            except OSError:
                break
            end = os.lseek(fd, start, os.SEEK_HOLE)
            regions.append((start, end))
            off = end
    return size, regions


def sparsecmp(a, b):
    size_a, ra = data_regions(a)
    size_b, rb = data_regions(b)
    differ = []
    # Outside both files' data regions both read as zeros; compare every region either file has data in.
    with open(a, "rb") as fa, open(b, "rb") as fb:
        for start, end in ra + rb:
            off = start
            while off < end:
                n = min(1 << 20, end - off)
                fa.seek(off)
                fb.seek(off)
                if fa.read(n) != fb.read(n):
                    differ.append(off)
                    break
                off += n
    st_a, st_b = os.stat(a), os.stat(b)
    print(json.dumps({"sizeA": size_a, "sizeB": size_b, "blocksA": st_a.st_blocks, "blocksB": st_b.st_blocks,
                      "dataBytesA": sum(e - s for s, e in ra), "dataBytesB": sum(e - s for s, e in rb),
                      "differAt": differ}))


def header_offsets(raw):
    """(offset, type, size) of every header until the end blocks."""
    out, off = [], 0
    while off + 512 <= len(raw):
        h = raw[off:off + 512]
        if h == b"\0" * 512:
            break
        size = int(h[124:136].rstrip(b"\0 ") or b"0", 8)
        out.append((off, h[156:157], size))
        off += 512 + (size + 511) // 512 * 512
    return out


def pax_record(key, value):
    body = b" " + key + b"=" + value + b"\n"
    n = len(body) + len(str(len(body)))
    n = len(body) + len(str(n))
    return str(n).encode() + body


def fix_checksum(raw, off):
    h = bytearray(raw[off:off + 512])
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    raw[off:off + 512] = h


def strip_global(src, dst):
    raw = open(src, "rb").read()
    out = bytearray()
    for off, kind, size in header_offsets(raw):
        end = off + 512 + (size + 511) // 512 * 512
        if kind != b"g":
            out += raw[off:end]
    out += b"\0" * 1024
    open(dst, "wb").write(out)


def brk(kind, src, dst):
    raw = bytearray(open(src, "rb").read())
    hs = header_offsets(raw)
    regs = [i for i, h in enumerate(hs) if h[1] in (b"0", b"\0") and h[2] > 0]
    body = hs[regs[-1]]
    # The extended header of the first file with a body (its path record holds the long name), and the
    # one of the last file with a body.
    pax = hs[regs[0] - 1]
    last_pax = hs[regs[-1] - 1]
    assert pax[1] == b"x" and last_pax[1] == b"x", "a PAX header before each file: use GNU tar --format=posix"
    regs = [hs[i] for i in regs]
    if kind == "badsum":
        off = regs[0][0]
        raw[off] ^= 0x01  # a name byte changes; the stored checksum no longer matches
    elif kind == "cut-header":
        raw = raw[:body[0] + 300]
    elif kind == "cut-body":
        raw = raw[:body[0] + 512 + body[2] // 2]
    elif kind == "cut-pax":
        raw = raw[:pax[0] + 512 + 20]
    elif kind == "pax-length-lie":
        # The first record's length says 9 bytes more than it holds: it runs into the next record.
        rec = raw[pax[0] + 512:pax[0] + 512 + pax[2]]
        n = int(rec.split(b" ", 1)[0])
        fixed = str(n + 9).encode() + rec[len(str(n)):]
        raw[pax[0] + 512:pax[0] + 512 + len(fixed)] = fixed[:pax[2]]
    elif kind == "pax-huge-length":
        rec = raw[pax[0] + 512:pax[0] + 512 + pax[2]]
        n = int(rec.split(b" ", 1)[0])
        lie = b"99999999999999999999"
        raw[pax[0] + 512:pax[0] + 512 + pax[2]] = (lie + rec[len(str(n)):])[:pax[2]]
    elif kind == "absurd-size":
        # A regular file claiming 8 EiB (base-256 size field) in a 3-entry tar.
        off = body[0]
        raw[off + 124:off + 136] = b"\x80" + b"\0" * 3 + b"\x7f" + b"\xff" * 7
        fix_checksum(raw, off)
    elif kind == "negative-size":
        off = body[0]
        raw[off + 124:off + 136] = b"\xff" * 12
        fix_checksum(raw, off)
    elif kind == "pax-header-absurd-size":
        # The extended header itself claims 1 TiB: a reader must not allocate that.
        off = pax[0]
        raw[off + 124:off + 136] = b"%011o\0" % (1 << 40)
        fix_checksum(raw, off)
    elif kind == "pax-size-absurd":
        # A 'size' record in the PAX header far beyond what follows (the ustar size stays honest).
        rec = pax_record(b"size", b"9223372036854775807")
        pax = last_pax
        start = pax[0] + 512
        old = bytes(raw[start:start + pax[2]])
        new = rec + old
        size = len(new)
        padded = new + b"\0" * ((size + 511) // 512 * 512 - size)
        raw[start:start + (pax[2] + 511) // 512 * 512] = padded
        raw[pax[0] + 124:pax[0] + 136] = b"%011o\0" % size
        fix_checksum(raw, pax[0])
    else:
        raise SystemExit("unknown kind " + kind)
    open(dst, "wb").write(raw)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "layer":
        layer(sys.argv[2], sys.argv[3])
    elif cmd == "rootless":
        rootless(sys.argv[2], sys.argv[3])
    elif cmd == "bytenames":
        bytenames(sys.argv[2], sys.argv[3])
    elif cmd == "badcap":
        badcap(sys.argv[2])
    elif cmd == "names":
        names(sys.argv[2])
    elif cmd == "dump":
        dump(sys.argv[2])
    elif cmd == "sparsecmp":
        sparsecmp(sys.argv[2], sys.argv[3])
    elif cmd == "strip-global":
        strip_global(sys.argv[2], sys.argv[3])
    elif cmd == "break":
        brk(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        raise SystemExit("unknown command " + cmd)
