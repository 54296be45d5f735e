# Stand-in for prom/pushgateway: Debian's pushgateway with the upstream
# image's entrypoint and user, plus wget for health checks.
FROM local/debian:bookworm
RUN apt-get update -qq && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus-pushgateway wget >/dev/null && \
    rm -rf /var/lib/apt/lists/* && \
    ln -sf /usr/bin/prometheus-pushgateway /bin/pushgateway
USER nobody
EXPOSE 9091
ENTRYPOINT ["/bin/pushgateway"]
