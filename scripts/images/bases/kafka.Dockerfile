# Local stand-in for the official apache/kafka image (no container registry here): Debian's JRE,
# the broker jars the local stack uses (Maven Central) and an entrypoint that reads the same
# KAFKA_* environment as the official image, so the chart's StatefulSet runs it unchanged.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends openjdk-17-jre-headless >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
 && echo 'appuser:x:1000:1000::/opt/kafka:/usr/sbin/nologin' >>/etc/passwd \
 && echo 'appuser:x:1000:' >>/etc/group \
 && mkdir -p /var/lib/kafka/data && chown 1000:1000 /var/lib/kafka/data
COPY libs/ /opt/kafka/libs/
COPY log4j2.properties /opt/kafka/config/log4j2.properties
COPY kafka-entrypoint.sh /usr/local/bin/kafka-entrypoint
USER 1000:1000
EXPOSE 9092 9093
ENTRYPOINT ["/usr/local/bin/kafka-entrypoint"]
