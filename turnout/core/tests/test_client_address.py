"""One client address for the audit log, rate limits, lockouts and cards: the rightmost address
the deployment's own proxies vouch for, always a valid IP."""

from __future__ import annotations

from django.test import RequestFactory, SimpleTestCase, override_settings

from turnout.core.net import UNKNOWN, address_key, client_ip


def address(remote: str, forwarded: str | None = None) -> str | None:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_ip(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))


class ClientAddressTests(SimpleTestCase):
    def test_without_proxies_the_header_is_ignored(self) -> None:
        self.assertEqual(address("198.51.100.7", "6.6.6.6"), "198.51.100.7")

    @override_settings(TRUSTED_PROXY_HOPS=1)
    def test_one_proxy_the_address_it_appended_wins_over_what_the_client_wrote(self) -> None:
        self.assertEqual(address("10.0.0.2", "6.6.6.6, 198.51.100.7"), "198.51.100.7")
        self.assertEqual(address("10.0.0.2", "198.51.100.7"), "198.51.100.7")

    @override_settings(TRUSTED_PROXY_HOPS=2)
    def test_two_proxies(self) -> None:
        self.assertEqual(address("10.0.0.3", "6.6.6.6, 198.51.100.7, 10.0.0.2"), "198.51.100.7")
        # Too few entries: the request came round a proxy, so only the socket's address is sure.
        self.assertEqual(address("203.0.113.5", "6.6.6.6"), "203.0.113.5")

    @override_settings(TRUSTED_PROXIES=["10.0.0.0/8", "2001:db8:ffff::/48"])
    def test_trusted_proxy_networks(self) -> None:
        self.assertEqual(address("10.0.0.3", "6.6.6.6, 198.51.100.7, 10.9.9.9"), "198.51.100.7")
        self.assertEqual(address("2001:db8:ffff::1", "2001:db8:1::5"), "2001:db8:1::5")
        self.assertEqual(address("203.0.113.5", "6.6.6.6"), "203.0.113.5")  # not from a proxy of ours

    @override_settings(TRUSTED_PROXY_HOPS=1)
    def test_what_is_not_an_address_is_never_returned(self) -> None:
        self.assertEqual(address("10.0.0.2", "not-an-ip"), "10.0.0.2")
        self.assertEqual(address("10.0.0.2", "<script>, '; drop table"), "10.0.0.2")
        self.assertEqual(address("10.0.0.2", "198.51.100.7:4711"), "198.51.100.7")
        self.assertEqual(address("10.0.0.2", "[2001:db8::1]:4711"), "2001:db8::1")
        self.assertEqual(address("10.0.0.2", "::ffff:198.51.100.7"), "198.51.100.7")
        self.assertIsNone(address("garbage"))

    @override_settings(TRUSTED_PROXY_HOPS=1)
    def test_behind_a_proxy_on_a_unix_socket(self) -> None:
        """gunicorn on a unix socket has no peer address: the proxy on this machine vouches."""
        self.assertEqual(address("", "6.6.6.6, 198.51.100.7"), "198.51.100.7")
        self.assertIsNone(address("", ""))

    @override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
    def test_trusted_networks_on_a_unix_socket(self) -> None:
        self.assertEqual(address("", "6.6.6.6, 198.51.100.7, 10.0.0.9"), "198.51.100.7")

    @override_settings(TRUSTED_PROXY_HOPS=1)
    def test_a_zoned_link_local_address_is_not_taken(self) -> None:
        self.assertEqual(address("10.0.0.2", "fe80::1%eth0"), "10.0.0.2")

    def test_limits_count_an_ipv6_network_once_and_never_an_empty_key(self) -> None:
        request = RequestFactory().get("/", REMOTE_ADDR="2001:db8:1:2::99")
        self.assertEqual(address_key(request), "2001:db8:1:2::")
        self.assertEqual(address_key(RequestFactory().get("/", REMOTE_ADDR="")), UNKNOWN)
