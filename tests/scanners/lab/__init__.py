"""Servers the scanner tests start on 127.0.0.1: reusable by riskapp's tests too."""
