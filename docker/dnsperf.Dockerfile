# dnsperf (Debian's package) in a small image of its own, with a query list
# for the example zones: answers, CNAMEs, wildcards, NXDOMAIN, a referral, PTR.
# Used by compose.yaml's "dnsperf" service; any dnsperf flag can be passed.
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends dnsperf \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log \
 && printf '%s\n' \
      'example.com SOA' 'example.com NS' 'example.com MX' 'www.example.com A' \
      'www.example.com AAAA' 'web.example.com A' 'ftp.example.com A' \
      '_sip._udp.example.com SRV' 'info.example.com TXT' 'x.apps.example.com A' \
      'host.sub.example.com A' 'missing.example.com A' \
      '80.2.0.192.in-addr.arpa PTR' '25.2.0.192.in-addr.arpa PTR' \
      > /etc/dnsperf-queries.txt
USER 65534:65534
ENTRYPOINT ["dnsperf", "-d", "/etc/dnsperf-queries.txt"]
CMD ["-s", "rpdns", "-l", "10"]
