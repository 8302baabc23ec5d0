"""What a user may type as a vendor domain, and what we store for it."""

from __future__ import annotations

import pytest

from riskapp.vendors.domains import (
    DomainError,
    ascii_search_text,
    display_domain,
    normalise_domain,
    normalise_domain_list,
)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("example.com", "example.com"),
        ("https://mail.example.com/login?next=/", "mail.example.com"),
        ("http://portal.example.com:8443/", "portal.example.com"),
        ("portal.example.com:8443", "portal.example.com"),
        ("portal.example.com/path/page.html", "portal.example.com"),
        ("  example.com  ", "example.com"),
    ],
)
def test_a_url_or_host_with_port_is_reduced_to_its_domain(typed: str, stored: str) -> None:
    assert normalise_domain(typed) == stored


def test_upper_case_is_lowered() -> None:
    assert normalise_domain("Mail.EXAMPLE.Com") == "mail.example.com"


def test_a_trailing_dot_is_dropped() -> None:
    assert normalise_domain("example.com.") == "example.com"


def test_an_internationalised_domain_is_stored_as_punycode() -> None:
    assert normalise_domain("bücher.de") == "xn--bcher-kva.de"


def test_an_internationalised_domain_in_upper_case_is_stored_as_punycode() -> None:
    assert normalise_domain("https://BÜCHER.de/") == "xn--bcher-kva.de"


def test_a_name_of_exactly_253_characters_is_accepted() -> None:
    name = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])
    assert len(name) == 253
    assert normalise_domain(name) == name


def rejection(typed: str) -> str:
    with pytest.raises(DomainError) as caught:
        normalise_domain(typed)
    return str(caught.value)


def test_an_empty_domain_is_refused_with_an_example() -> None:
    assert rejection("   ") == "Enter a domain name, such as example.com."


@pytest.mark.parametrize(
    "typed", ["192.168.10.5", "http://10.0.0.1:8080/admin", "[2001:db8::1]", "2001:db8::1",
              "https://[2001:db8::1]:443/"],
)
def test_an_ip_address_is_refused_as_an_ip_address(typed: str) -> None:
    assert rejection(typed) == f"'{typed}' is an IP address; enter the vendor's domain name."


def test_a_single_label_is_refused_for_lack_of_a_top_level_domain() -> None:
    assert rejection("localhost") == (
        "'localhost' needs a dot and a top-level domain, such as example.com."
    )


def test_a_wildcard_is_refused_with_a_hint_to_enter_the_domain_itself() -> None:
    assert rejection("*.example.com") == (
        "'*.example.com': enter the domain itself, not a wildcard."
    )


@pytest.mark.parametrize(
    "typed", ["foo_bar.example.com", "_dmarc.example.com", "-mail.example.com",
              "mail-.example.com", ("a" * 64) + ".example.com"],
)
def test_a_malformed_label_is_refused_saying_what_a_label_may_hold(typed: str) -> None:
    assert rejection(typed) == (
        f"'{typed}' is not a valid domain name: each part between dots must be letters, digits "
        "or hyphens, not start or end with a hyphen."
    )


def test_a_name_longer_than_253_characters_is_refused_saying_the_limit() -> None:
    typed = ".".join(["a" * 60] * 5) + ".com"
    assert len(typed) > 253
    assert rejection(typed) == f"'{typed}' is longer than 253 characters."


def test_an_empty_label_is_refused_naming_the_input() -> None:
    assert rejection("mail..example.com").startswith(
        "'mail..example.com' is not a valid domain name"
    )


def test_a_list_splits_on_commas_semicolons_and_whitespace() -> None:
    typed = "a.example, b.example;c.example\nd.example\te.example   f.example"
    assert normalise_domain_list(typed) == [
        "a.example", "b.example", "c.example", "d.example", "e.example", "f.example",
    ]


def test_a_list_drops_repeats_after_normalising_and_keeps_first_order() -> None:
    typed = "b.example, https://A.example/, a.example., B.EXAMPLE"
    assert normalise_domain_list(typed) == ["b.example", "a.example"]


def test_an_empty_list_is_empty() -> None:
    assert normalise_domain_list(" ,\n ; ") == []


def test_a_list_with_one_bad_domain_is_refused_naming_that_domain() -> None:
    with pytest.raises(DomainError, match="'localhost' needs a dot"):
        normalise_domain_list("good.example, localhost")


def test_an_internationalised_domain_is_shown_in_both_forms() -> None:
    assert display_domain("xn--bcher-kva.example") == "bücher.example (xn--bcher-kva.example)"


def test_an_ascii_domain_is_shown_as_it_is() -> None:
    assert display_domain("mail.example.com") == "mail.example.com"


def test_unicode_search_text_is_spelled_as_stored_domains_are() -> None:
    assert ascii_search_text("Bücher") == "xn--bcher-kva"
    assert ascii_search_text("MAIL.example") == "mail.example"
