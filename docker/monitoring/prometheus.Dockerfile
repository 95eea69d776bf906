# Prometheus (Debian's package) with the rpdns scrape and alert rules, for
# compose.yaml. The rules are checked when the image is built.
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log
COPY prometheus.yml rpdns.rules.yml rpdns.rules.test.yml /etc/prometheus/
RUN promtool check config /etc/prometheus/prometheus.yml \
 && cd /etc/prometheus && promtool test rules rpdns.rules.test.yml
USER prometheus
EXPOSE 9090
ENTRYPOINT ["prometheus", "--config.file=/etc/prometheus/prometheus.yml", \
            "--storage.tsdb.path=/var/lib/prometheus/metrics2", "--web.listen-address=:9090"]
