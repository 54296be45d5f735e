# Stand-in for mcr.microsoft.com/devcontainers/python:1-3.11-bookworm, the
# image the templates' devcontainer names (no registry answers here): the
# python:3.11-slim stand-in with the tools the Microsoft image has (git,
# make, curl, sudo), plus a docker CLI and the Compose v2 plugin standing in
# for the docker-in-docker / docker-outside-of-docker Features, which cannot
# be fetched either. The engine is the host's, through a mounted socket.
FROM python:3.11-slim
RUN apt-get update -qq && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      git make curl sudo procps bash-completion >/dev/null && \
    rm -rf /var/lib/apt/lists/*
COPY docker /usr/local/bin/docker
COPY docker-compose /usr/local/lib/docker/cli-plugins/docker-compose
