# syntax=docker/dockerfile:1
# dr-watchdog container image: build the wheel (and its dependencies' wheels) in one stage, install
# them offline into a venv in a slim runtime stage that runs as an unprivileged user.
#   docker build -t dr-watchdog:0.1.0 .
#   docker run --rm -v $PWD/watchdog.yaml:/etc/dr-watchdog/watchdog.yaml:ro \
#     -v $PWD/secrets:/run/secrets:ro -v drw-state:/var/lib/dr-watchdog -p 9464:9464 dr-watchdog:0.1.0
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY watchdog ./watchdog
RUN python -m pip wheel --wheel-dir /wheels .

FROM ${PYTHON_IMAGE} AS runtime
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN groupadd --system --gid 10001 drw \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /var/lib/dr-watchdog \
      --shell /usr/sbin/nologin drw \
 && install -d -o 10001 -g 10001 -m 0700 /var/lib/dr-watchdog \
 && install -d -m 0755 /etc/dr-watchdog
COPY --from=build /wheels /tmp/wheels
RUN python -m venv /opt/dr-watchdog \
 && /opt/dr-watchdog/bin/pip install --no-index --find-links /tmp/wheels dws-dr-watchdog \
 && rm -rf /tmp/wheels
COPY config/watchdog.example.yaml /etc/dr-watchdog/watchdog.example.yaml
ENV PATH=/opt/dr-watchdog/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /var/lib/dr-watchdog
USER 10001:10001
EXPOSE 9464
VOLUME ["/var/lib/dr-watchdog"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:9464/healthz', timeout=4).status != 200)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["dr-watchdog"]
CMD ["run", "--config", "/etc/dr-watchdog/watchdog.yaml"]
