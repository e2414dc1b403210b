"""Independent cosign-style key pairs and signatures for the tests (Debian's python3-cryptography).

  cosign_keys.py gen ec|rsa|ed25519 PRIVATE.pem PUBLIC.pem
  cosign_keys.py sign PRIVATE.pem PAYLOAD      -> base64 signature on stdout, as cosign annotates it
  cosign_keys.py verify PUBLIC.pem PAYLOAD BASE64-SIGNATURE   -> "ok", else a failure
  cosign_keys.py encrypt PRIVATE.pem PASSPHRASE OUT [PEM-TYPE] -> cosign's encrypted key file
  cosign_keys.py decrypt ENCRYPTED PASSPHRASE OUT.pem          -> the PKCS#8 key back in PEM

The encrypted format is go-securesystemslib's "encrypted" JSON (scrypt N=2^16 r=8 p=1, 32-byte salt;
nacl/secretbox, 24-byte nonce) in a PEM block, made here with python3-nacl and hashlib.scrypt.
"""
import base64
import hashlib
import json
import os
import sys

import nacl.secret

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa


def gen(kind, private_path, public_path):
    if kind == "ec":
        key = ec.generate_private_key(ec.SECP256R1())
    elif kind == "rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        key = ed25519.Ed25519PrivateKey.generate()
    with open(private_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    with open(public_path, "wb") as f:
        f.write(key.public_key().public_bytes(serialization.Encoding.PEM,
                                              serialization.PublicFormat.SubjectPublicKeyInfo))


def sign(private_path, payload_path):
    with open(private_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    with open(payload_path, "rb") as f:
        payload = f.read()
    if isinstance(key, ec.EllipticCurvePrivateKey):
        sig = key.sign(payload, ec.ECDSA(hashes.SHA256()))
    elif isinstance(key, rsa.RSAPrivateKey):
        sig = key.sign(payload, padding.PKCS1v15(), hashes.SHA256())
    else:
        sig = key.sign(payload)
    print(base64.b64encode(sig).decode())


def verify(public_path, payload_path, signature_b64):
    with open(public_path, "rb") as f:
        key = serialization.load_pem_public_key(f.read())
    with open(payload_path, "rb") as f:
        payload = f.read()
    sig = base64.b64decode(signature_b64)
    if isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(sig, payload, ec.ECDSA(hashes.SHA256()))
    elif isinstance(key, rsa.RSAPublicKey):
        key.verify(sig, payload, padding.PKCS1v15(), hashes.SHA256())
    else:
        key.verify(sig, payload)
    print("ok")


def kdf(passphrase, salt, n):
    return hashlib.scrypt(passphrase, salt=salt, n=n, r=8, p=1, maxmem=256 * 1024 * 1024, dklen=32)


def encrypt(private_path, passphrase, out_path, pem_type="ENCRYPTED SIGSTORE PRIVATE KEY"):
    with open(private_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    salt = os.urandom(32)
    nonce = os.urandom(24)
    box = nacl.secret.SecretBox(kdf(passphrase.encode(), salt, 65536)).encrypt(der, nonce).ciphertext
    doc = {"kdf": {"name": "scrypt", "params": {"N": 65536, "r": 8, "p": 1},
                   "salt": base64.b64encode(salt).decode()},
           "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
           "ciphertext": base64.b64encode(box).decode()}
    body = base64.encodebytes(json.dumps(doc).encode()).decode()
    with open(out_path, "w") as f:
        f.write("-----BEGIN %s-----\n%s-----END %s-----\n" % (pem_type, body, pem_type))


def decrypt(encrypted_path, passphrase, out_path):
    with open(encrypted_path) as f:
        lines = f.read().strip().splitlines()
    doc = json.loads(base64.b64decode("".join(lines[1:-1])))
    params = doc["kdf"]["params"]
    assert doc["kdf"]["name"] == "scrypt" and doc["cipher"]["name"] == "nacl/secretbox", doc
    key = kdf(passphrase.encode(), base64.b64decode(doc["kdf"]["salt"]), params["N"])
    der = nacl.secret.SecretBox(key).decrypt(base64.b64decode(doc["ciphertext"]),
                                             base64.b64decode(doc["cipher"]["nonce"]))
    private = serialization.load_der_private_key(der, password=None)
    with open(out_path, "wb") as f:
        f.write(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"gen": gen, "sign": sign, "verify": verify, "encrypt": encrypt, "decrypt": decrypt}[command](*args)
