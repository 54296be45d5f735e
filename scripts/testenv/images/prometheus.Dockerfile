# Stand-in for prom/prometheus: Debian's prometheus with the upstream image's
# entrypoint, paths and user, plus wget for health checks.
FROM local/debian:bookworm
RUN apt-get update -qq && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus wget >/dev/null && \
    rm -rf /var/lib/apt/lists/* && \
    test -x /bin/prometheus && \
    mkdir -p /etc/prometheus /prometheus && \
    printf 'global:\n  scrape_interval: 15s\n' > /etc/prometheus/prometheus.yml && \
    chown -R nobody:nogroup /etc/prometheus /prometheus
USER nobody
WORKDIR /prometheus
EXPOSE 9090
VOLUME ["/prometheus"]
ENTRYPOINT ["/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
