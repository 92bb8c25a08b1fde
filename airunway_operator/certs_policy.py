"""When and how the operator-managed webhook certificate rotates. Pure: no API access.

The Secret holds a CA (`ca.key`, and first in `ca.crt`), the serving certificate it signed
(`tls.crt`, `tls.key`), and in `ca.crt` the CA bundle the API server must trust. A serving
certificate is re-issued from the same CA once less than a third of its validity remains, so the
published bundle does not change. The CA itself rotates in three steps, each a separate write, so
that the API server always trusts every certificate any replica may be serving:

1. *publish*: a new CA joins the bundle (`next-ca.crt`, `next-ca.key`) — nothing signs with it yet;
2. *switch*, a grace period later (the API server has seen the new bundle): the new CA signs a new
   serving certificate; the old CA stays in the bundle;
3. *drop*, another grace period later (every replica serves the new certificate): the old CA leaves.
"""

from __future__ import annotations

import datetime
import enum
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from airunway_operator import tls

CA_CERT: Final = "ca.crt"
CA_KEY: Final = "ca.key"
TLS_CERT: Final = "tls.crt"
TLS_KEY: Final = "tls.key"
NEXT_CA_CERT: Final = "next-ca.crt"
NEXT_CA_KEY: Final = "next-ca.key"
PUBLISHED_AT: Final = "ca-published-at"
SWITCHED_AT: Final = "ca-switched-at"
CA_NAME: Final = "airunway-webhook-ca"


class Action(enum.Enum):
    NONE = "none"
    CREATE = "create"
    RENEW_LEAF = "renew serving certificate"
    PUBLISH_CA = "publish new CA"
    SWITCH_CA = "switch to new CA"
    DROP_OLD_CA = "drop old CA"


@dataclass(frozen=True)
class Material:
    """Everything the Secret holds, parsed."""

    ca: tls.KeyPair
    trusted: tuple[x509.Certificate, ...]
    leaf: tls.KeyPair
    next_ca: tls.KeyPair | None = None
    published_at: datetime.datetime | None = None
    switched_at: datetime.datetime | None = None

    def bundle(self) -> bytes:
        return b"".join(tls.cert_pem(cert) for cert in self.trusted)


@dataclass(frozen=True)
class Lifetimes:
    leaf: datetime.timedelta
    ca: datetime.timedelta
    grace: datetime.timedelta


@dataclass(frozen=True)
class Plan:
    action: Action
    #: With Action.NONE: when the next step falls due (the time to wake up and decide again).
    due: datetime.datetime


def service_hosts(service: str, namespace: str, extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The names the API server uses for the webhook Service, then any extra names."""
    names = [f"{service}.{namespace}.svc", f"{service}.{namespace}.svc.cluster.local", *extra]
    return tuple(dict.fromkeys(names))


def hosts_of(cert: x509.Certificate) -> frozenset[str]:
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return frozenset()
    ips = (str(ip) for ip in sans.get_values_for_type(x509.IPAddress))
    return frozenset([*sans.get_values_for_type(x509.DNSName), *ips])


def renewal_time(cert: x509.Certificate) -> datetime.datetime:
    """The moment only a third of the certificate's validity remains."""
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    return start + (end - start) * 2 / 3


def merge_bundles(*bundles: bytes) -> bytes:
    """One PEM bundle holding each certificate of `bundles` once, in first-seen order."""
    seen: dict[bytes, x509.Certificate] = {}
    for bundle in bundles:
        for cert in tls.load_certs(bundle):
            seen.setdefault(cert.fingerprint(hashes.SHA256()), cert)
    return b"".join(tls.cert_pem(cert) for cert in seen.values())


def _same_hosts(cert: x509.Certificate, hosts: Iterable[str]) -> bool:
    return hosts_of(cert) == frozenset(_normalise(h) for h in hosts)


def _normalise(host: str) -> str:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


def _signed_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca)
    except Exception:  # a wrong issuer name (ValueError) or signature (InvalidSignature)
        return False
    return True


def decide(
    material: Material | None, now: datetime.datetime, hosts: Iterable[str], lifetimes: Lifetimes
) -> Plan:
    """The one step to take now, or NONE and when to look again."""
    if material is None or material.ca.cert.not_valid_after_utc <= now:
        return Plan(Action.CREATE, now)
    grace = lifetimes.grace
    if material.next_ca is not None:
        if material.published_at is None:
            return Plan(Action.PUBLISH_CA, now)  # re-stamp: the grace period starts now
        if material.published_at + grace <= now:
            return Plan(Action.SWITCH_CA, now)
    elif renewal_time(material.ca.cert) <= now:
        return Plan(Action.PUBLISH_CA, now)
    old_ca_trusted = len(material.trusted) > 1 and material.next_ca is None
    if old_ca_trusted and (material.switched_at is None or material.switched_at + grace <= now):
        return Plan(Action.DROP_OLD_CA, now)
    leaf = material.leaf.cert
    if (
        renewal_time(leaf) <= now
        or not _same_hosts(leaf, hosts)
        or not _signed_by(leaf, material.ca.cert)
        or material.trusted[:1] != (material.ca.cert,)
    ):
        return Plan(Action.RENEW_LEAF, now)
    due = [renewal_time(leaf)]
    if material.next_ca is not None and material.published_at is not None:
        due.append(material.published_at + grace)
    else:
        due.append(renewal_time(material.ca.cert))
    if old_ca_trusted and material.switched_at is not None:
        due.append(material.switched_at + grace)
    return Plan(Action.NONE, min(due))


def apply(
    action: Action,
    material: Material | None,
    now: datetime.datetime,
    hosts: Iterable[str],
    lifetimes: Lifetimes,
) -> Material:
    """The Secret's content after `action`; new keys are generated here."""
    hosts = tuple(hosts)

    def leaf_from(ca: tls.KeyPair) -> tls.KeyPair:
        return tls.issue(ca, hosts[0], server=True, hosts=hosts, validity=lifetimes.leaf, now=now)

    if action is Action.CREATE or material is None:
        ca = tls.new_ca(CA_NAME, lifetimes.ca, now)
        return Material(ca=ca, trusted=(ca.cert,), leaf=leaf_from(ca))
    if action is Action.RENEW_LEAF:
        trusted = (material.ca.cert, *(c for c in material.trusted if c != material.ca.cert))
        return replace(material, trusted=trusted, leaf=leaf_from(material.ca))
    if action is Action.PUBLISH_CA:
        new = material.next_ca or tls.new_ca(CA_NAME, lifetimes.ca, now)
        trusted = (*(c for c in material.trusted if c != new.cert), new.cert)
        return replace(material, trusted=trusted, next_ca=new, published_at=now)
    if action is Action.SWITCH_CA:
        assert material.next_ca is not None
        new = material.next_ca
        trusted = (new.cert, *(c for c in material.trusted if c != new.cert))
        return Material(ca=new, trusted=trusted, leaf=leaf_from(new), switched_at=now)
    if action is Action.DROP_OLD_CA:
        return replace(material, trusted=(material.ca.cert,), switched_at=None)
    return material


def to_data(material: Material) -> dict[str, bytes]:
    """The Secret's `data` (raw bytes; the client layer encodes them)."""
    data = {
        CA_CERT: material.bundle(),
        CA_KEY: tls.key_pem(material.ca.key),
        TLS_CERT: tls.cert_pem(material.leaf.cert),
        TLS_KEY: tls.key_pem(material.leaf.key),
    }
    if material.next_ca is not None:
        data[NEXT_CA_CERT] = tls.cert_pem(material.next_ca.cert)
        data[NEXT_CA_KEY] = tls.key_pem(material.next_ca.key)
    for key, moment in ((PUBLISHED_AT, material.published_at), (SWITCHED_AT, material.switched_at)):
        if moment is not None:
            data[key] = moment.isoformat().encode()
    return data


def from_data(data: Mapping[str, bytes]) -> Material | None:
    """The Secret's content, or None when it is missing or unreadable (it is then re-created).

    The signing CA is the trusted certificate whose public key matches `ca.key`."""
    try:
        trusted = tuple(tls.load_certs(data[CA_CERT]))
        ca_key = tls.load_key(data[CA_KEY])
        leaf = tls.KeyPair(x509.load_pem_x509_certificate(data[TLS_CERT]), tls.load_key(data[TLS_KEY]))
        signer = next(c for c in trusted if c.public_key() == ca_key.public_key())
        next_ca = None
        if data.get(NEXT_CA_CERT) and data.get(NEXT_CA_KEY):
            next_ca = tls.KeyPair(
                x509.load_pem_x509_certificate(data[NEXT_CA_CERT]), tls.load_key(data[NEXT_CA_KEY])
            )
        return Material(
            ca=tls.KeyPair(signer, ca_key),
            trusted=trusted,
            leaf=leaf,
            next_ca=next_ca,
            published_at=_moment(data.get(PUBLISHED_AT)),
            switched_at=_moment(data.get(SWITCHED_AT)),
        )
    except (KeyError, ValueError, StopIteration):
        return None


def _moment(raw: bytes | None) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(raw.decode()) if raw else None
