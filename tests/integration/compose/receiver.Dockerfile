# The compose test's webhook receiver and Telegram stand-in (receiver.py),
# from the same base image as the stack's, so no registry is needed.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3 curl \
 && rm -rf /var/lib/apt/lists/*
COPY receiver.py /usr/local/bin/receiver.py
CMD ["python3", "-u", "/usr/local/bin/receiver.py"]
