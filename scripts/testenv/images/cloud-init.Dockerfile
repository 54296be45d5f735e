# cloud-init's own schema validator (`cloud-init schema --config-file F`),
# so rendered user data is checked without installing cloud-init on the machine.
FROM local/debian:trixie
RUN apt-get update -qq && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      cloud-init >/dev/null && \
    rm -rf /var/lib/apt/lists/*
ENTRYPOINT ["cloud-init"]
