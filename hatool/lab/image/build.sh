#!/usr/bin/env bash
# Build the root filesystem of a lab host: a fresh Debian 12 server with
# systemd, sshd, python3 and sudo, and nothing that hatool installs.
#   build.sh ROOTFS ARCHIVE_URL
# The archive URL comes from the machine's own apt configuration.
set -euo pipefail
rootfs=$1
archive=$2
here=$(cd "$(dirname "$0")" && pwd)

debootstrap --variant=minbase \
  --include=systemd,systemd-sysv,dbus,openssh-server,python3,iproute2,procps,curl,ca-certificates,sudo,iputils-ping \
  bookworm "$rootfs" "$archive"

# The operator account Ansible logs in as; it becomes root through sudo.
chroot "$rootfs" useradd --create-home --shell /bin/bash ops
chroot "$rootfs" passwd --lock ops
install -m 0440 "$here/sudoers-ops" "$rootfs/etc/sudoers.d/ops"
install -d -m 0700 "$rootfs/home/ops/.ssh"
chroot "$rootfs" chown ops:ops /home/ops/.ssh

# sshd: keys only. Host keys are made on each host's first boot, never shared.
install -m 0644 "$here/sshd-hatool.conf" "$rootfs/etc/ssh/sshd_config.d/hatool.conf"
rm -f "$rootfs"/etc/ssh/ssh_host_*
install -d "$rootfs/etc/systemd/system/ssh.service.d"
install -m 0644 "$here/ssh-hostkeys.conf" "$rootfs/etc/systemd/system/ssh.service.d/hostkeys.conf"
chroot "$rootfs" systemctl enable ssh.service

# Units that cannot work inside a container: masked, so that
# 'systemctl is-system-running' reports 'running'.
while read -r unit; do
  [ -n "$unit" ] && ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done < "$here/masked-units"

# A machine id is made on first boot; apt lists are dropped to keep it small.
: > "$rootfs/etc/machine-id"
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
echo "hatool lab host" > "$rootfs/etc/hatool-lab-host"
