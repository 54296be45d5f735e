# Stand-in for prom/alertmanager: Debian's prometheus-alertmanager (0.25)
# with the upstream image's entrypoint, paths, user and port, amtool at
# /bin/amtool as upstream ships it, plus wget for health checks. The
# template's configuration uses only features 0.25 and the tagged upstream
# release share (webhook receivers, matchers, inhibit rules).
FROM local/debian:bookworm
RUN apt-get update -qq && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus-alertmanager wget >/dev/null && \
    rm -rf /var/lib/apt/lists/* && \
    ln -sf /usr/bin/prometheus-alertmanager /bin/alertmanager && \
    test -x /bin/amtool && \
    mkdir -p /etc/alertmanager /alertmanager && \
    printf 'route:\n  receiver: default\nreceivers:\n  - name: default\n' > /etc/alertmanager/alertmanager.yml && \
    chown -R nobody:nogroup /etc/alertmanager /alertmanager
USER nobody
WORKDIR /alertmanager
EXPOSE 9093
VOLUME ["/alertmanager"]
ENTRYPOINT ["/bin/alertmanager"]
CMD ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"]
