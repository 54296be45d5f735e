# A fresh Debian 13 "server" for SSH tests: sshd and sudo, no Docker yet.
FROM local/debian:trixie
RUN apt-get update -qq && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      openssh-server sudo ca-certificates iproute2 procps >/dev/null && \
    rm -rf /var/lib/apt/lists/* && mkdir -p /run/sshd
EXPOSE 22
CMD ["/usr/sbin/sshd", "-D", "-e"]
