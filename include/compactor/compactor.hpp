// SPDX-License-Identifier: Apache-2.0
#pragma once
// The runtime and groups in one include, with the MQTT and Serf channels when the build has them
// (compactor/optional_parts.hpp, generated). Included by name only: <compactor/protobuf.hpp>
// (compactor::protobuf, which needs libprotobuf) and <compactor/testing.hpp> (test helpers).

#include <compactor/authentication.hpp>
#include <compactor/beacon/channel.hpp>
#include <compactor/beacon/config.hpp>
#include <compactor/beacon/discovery.hpp>
#include <compactor/beacon/events.hpp>
#include <compactor/beacon/local_bus.hpp>
#include <compactor/beacon/member.hpp>
#include <compactor/beacon/member_info.hpp>
#include <compactor/beacon/name_links.hpp>
#include <compactor/beacon/names.hpp>
#include <compactor/beacon/publication.hpp>
#include <compactor/beacon/singleton.hpp>
#include <compactor/beacon/value.hpp>
#include <compactor/clock.hpp>
#include <compactor/context.hpp>
#include <compactor/dispatch.hpp>
#include <compactor/exit_reason.hpp>
#include <compactor/future.hpp>
#include <compactor/http.hpp>
#include <compactor/logging.hpp>
#include <compactor/metrics.hpp>
#include <compactor/pid.hpp>
#include <compactor/process.hpp>
#include <compactor/supervisor.hpp>
#include <compactor/task.hpp>
#include <compactor/tls.hpp>
#include <compactor/version.hpp>

#include <compactor/optional_parts.hpp>  // the channels this build has
