# Stand-in for haproxy:3.0 (the official image): Debian trixie's HAProxy
# 3.0 with the upstream image's paths, user (haproxy, uid 99), stop signal,
# entrypoint and command.
FROM local/debian:trixie
COPY haproxy-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN apt-get update -qq && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy >/dev/null && \
    rm -rf /var/lib/apt/lists/* && \
    haproxy -v | grep -q 'version 3\.0\.' && \
    ln -s /usr/sbin/haproxy /usr/local/sbin/haproxy && \
    { userdel haproxy 2>/dev/null || true; } && { groupdel haproxy 2>/dev/null || true; } && \
    groupadd --gid 99 --system haproxy && \
    useradd --gid haproxy --home-dir /var/lib/haproxy --no-create-home --system --uid 99 haproxy && \
    mkdir -p /var/lib/haproxy /usr/local/etc/haproxy && chown haproxy:haproxy /var/lib/haproxy && \
    chmod 755 /usr/local/bin/docker-entrypoint.sh
STOPSIGNAL SIGUSR1
USER haproxy
WORKDIR /var/lib/haproxy
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["haproxy", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]
