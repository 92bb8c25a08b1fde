"""The managed webhook certificate: when it renews, what the Secret holds, how the caBundle merges."""

from __future__ import annotations

import datetime
import ipaddress

import pytest
from cryptography import x509

from airunway_operator import certs_policy, tls
from airunway_operator.certs_policy import Action, Lifetimes, Material
from airunway_operator.webhook_cert_settings import CertMode, CertSettings

HOSTS = certs_policy.service_hosts("airunway-webhook-service", "airunway-system", ["127.0.0.1"])
LIFETIMES = Lifetimes(
    leaf=datetime.timedelta(days=365), ca=datetime.timedelta(days=3650), grace=datetime.timedelta(seconds=60)
)
DAY = datetime.timedelta(days=1)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@pytest.fixture(scope="module")
def fresh() -> Material:
    return certs_policy.apply(Action.CREATE, None, _now(), HOSTS, LIFETIMES)


def _roundtrip(material: Material) -> Material:
    parsed = certs_policy.from_data(certs_policy.to_data(material))
    assert parsed is not None
    return parsed


def _trusted_by_bundle(material: Material) -> bool:
    bundle = tls.load_certs(material.bundle())
    return any(_issued_by(material.leaf.cert, ca) for ca in bundle)


def _issued_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca)
    except Exception:
        return False
    return True


def test_no_secret_means_create_and_the_result_is_fresh(fresh: Material) -> None:
    assert certs_policy.decide(None, _now(), HOSTS, LIFETIMES).action is Action.CREATE
    plan = certs_policy.decide(_roundtrip(fresh), _now(), HOSTS, LIFETIMES)
    assert plan.action is Action.NONE
    # The next look is when a third of the serving certificate's validity remains.
    assert plan.due == certs_policy.renewal_time(fresh.leaf.cert)
    assert _now() + 240 * DAY < plan.due < _now() + 250 * DAY


def test_serving_certificate_names_the_service_and_extra_hosts(fresh: Material) -> None:
    sans = fresh.leaf.cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == [
        "airunway-webhook-service.airunway-system.svc",
        "airunway-webhook-service.airunway-system.svc.cluster.local",
    ]
    assert sans.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert fresh.trusted == (fresh.ca.cert,)
    fresh.leaf.cert.verify_directly_issued_by(fresh.ca.cert)
    validity = fresh.ca.cert.not_valid_after_utc - _now()
    assert 3649 * DAY < validity <= 3650 * DAY


def test_less_than_a_third_left_renews_only_the_leaf(fresh: Material) -> None:
    at = certs_policy.renewal_time(fresh.leaf.cert) + datetime.timedelta(seconds=1)
    assert (
        certs_policy.decide(fresh, at - datetime.timedelta(seconds=2), HOSTS, LIFETIMES).action is Action.NONE
    )
    plan = certs_policy.decide(fresh, at, HOSTS, LIFETIMES)
    assert plan.action is Action.RENEW_LEAF
    renewed = certs_policy.apply(plan.action, fresh, at, HOSTS, LIFETIMES)
    assert renewed.leaf.cert != fresh.leaf.cert
    assert renewed.ca.cert == fresh.ca.cert
    assert renewed.bundle() == fresh.bundle()
    renewed.leaf.cert.verify_directly_issued_by(fresh.ca.cert)


def test_changed_hosts_reissue_the_leaf(fresh: Material) -> None:
    hosts = (*HOSTS, "localhost")
    assert certs_policy.decide(fresh, _now(), hosts, LIFETIMES).action is Action.RENEW_LEAF
    renewed = certs_policy.apply(Action.RENEW_LEAF, fresh, _now(), hosts, LIFETIMES)
    assert certs_policy.hosts_of(renewed.leaf.cert) == frozenset([*HOSTS, "localhost"])


def test_ca_near_expiry_is_published_next_to_the_old_one_before_it_signs(fresh: Material) -> None:
    now = certs_policy.renewal_time(fresh.ca.cert) + datetime.timedelta(seconds=1)
    # The leaf would also be due by then; the CA's steps come first.
    plan = certs_policy.decide(fresh, now, HOSTS, LIFETIMES)
    assert plan.action is Action.PUBLISH_CA
    published = _roundtrip(certs_policy.apply(plan.action, fresh, now, HOSTS, LIFETIMES))
    assert published.next_ca is not None
    assert published.trusted == (fresh.ca.cert, published.next_ca.cert)  # bundle: old + new
    assert published.leaf.cert == fresh.leaf.cert
    assert published.ca.cert == fresh.ca.cert
    assert _trusted_by_bundle(published)

    # Within the grace period the API server may not have the new bundle yet: no switch.
    during = now + LIFETIMES.grace / 2
    assert certs_policy.decide(published, during, HOSTS, LIFETIMES).action is not Action.SWITCH_CA
    waiting = certs_policy.decide(published, during, HOSTS, LIFETIMES)
    if waiting.action is Action.NONE:
        assert waiting.due <= now + LIFETIMES.grace

    after = now + LIFETIMES.grace
    plan = certs_policy.decide(published, after, HOSTS, LIFETIMES)
    assert plan.action is Action.SWITCH_CA
    switched = _roundtrip(certs_policy.apply(plan.action, published, after, HOSTS, LIFETIMES))
    assert switched.ca.cert == published.next_ca.cert
    assert switched.next_ca is None
    assert switched.trusted == (published.next_ca.cert, fresh.ca.cert)  # the old CA is still trusted
    switched.leaf.cert.verify_directly_issued_by(published.next_ca.cert)
    # A replica still serving the old leaf is trusted by the bundle of the switch as well.
    assert _trusted_by_bundle(published)
    assert _trusted_by_bundle(switched)
    assert any(_issued_by(fresh.leaf.cert, ca) for ca in switched.trusted)

    settle = certs_policy.decide(switched, after + LIFETIMES.grace / 2, HOSTS, LIFETIMES)
    assert settle.action is Action.NONE
    assert settle.due == after + LIFETIMES.grace
    later = after + LIFETIMES.grace
    plan = certs_policy.decide(switched, later, HOSTS, LIFETIMES)
    assert plan.action is Action.DROP_OLD_CA
    dropped = _roundtrip(certs_policy.apply(plan.action, switched, later, HOSTS, LIFETIMES))
    assert dropped.trusted == (published.next_ca.cert,)
    assert dropped.leaf.cert == switched.leaf.cert
    assert certs_policy.decide(dropped, later, HOSTS, LIFETIMES).action is Action.NONE


def test_an_expired_ca_is_replaced_outright(fresh: Material) -> None:
    expired = fresh.ca.cert.not_valid_after_utc
    assert certs_policy.decide(fresh, expired, HOSTS, LIFETIMES).action is Action.CREATE


def test_unreadable_secret_content_is_recreated(fresh: Material) -> None:
    data = certs_policy.to_data(fresh)
    assert certs_policy.from_data({**data, "tls.key": b"garbage"}) is None
    assert certs_policy.from_data({k: v for k, v in data.items() if k != "ca.key"}) is None
    assert certs_policy.from_data({}) is None


def test_short_validities_keep_two_thirds_before_renewal() -> None:
    short = Lifetimes(
        leaf=datetime.timedelta(seconds=30), ca=datetime.timedelta(days=1), grace=datetime.timedelta(0)
    )
    start = _now()
    material = certs_policy.apply(Action.CREATE, None, start, HOSTS, short)
    due = certs_policy.decide(material, start, HOSTS, short).due
    assert start + datetime.timedelta(seconds=15) < due < start + datetime.timedelta(seconds=21)


def test_ca_bundles_merge_without_duplicates(fresh: Material) -> None:
    other = tls.new_ca("other")
    a, b = tls.cert_pem(fresh.ca.cert), tls.cert_pem(other.cert)
    assert certs_policy.merge_bundles(a, a + b, b) == a + b
    assert certs_policy.merge_bundles(b"", a) == a


def test_settings_from_the_environment() -> None:
    default = CertSettings.from_env({})
    assert default.mode is CertMode.SELF_SIGNED
    assert default.secret == "airunway-webhook-cert"
    assert default.service == "airunway-webhook-service"
    assert default.configuration_name == "airunway-validating-webhook-configuration"
    assert default.cert_validity == datetime.timedelta(days=365)
    assert CertSettings.from_env({"AIRUNWAY_WEBHOOK_CERT_DIR": "/certs"}).mode is CertMode.MOUNTED
    managed = CertSettings.from_env(
        {
            "AIRUNWAY_WEBHOOK_CERT_MODE": "managed",
            "POD_NAMESPACE": "ops",
            "AIRUNWAY_WEBHOOK_CERT_VALIDITY_SECONDS": "40",
            "AIRUNWAY_WEBHOOK_CERT_EXTRA_HOSTS": "127.0.0.1, localhost",
        }
    )
    assert managed.mode is CertMode.MANAGED
    assert managed.namespace == "ops"
    assert managed.cert_validity == datetime.timedelta(seconds=40)
    assert managed.extra_hosts == ("127.0.0.1", "localhost")
    with pytest.raises(ValueError, match="needs AIRUNWAY_WEBHOOK_CERT_DIR"):
        CertSettings.from_env({"AIRUNWAY_WEBHOOK_CERT_MODE": "mounted"})
