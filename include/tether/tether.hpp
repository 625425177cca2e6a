// The whole public API of tether. See docs/getting-started.md.
#pragma once

#include "tether/blob.hpp"
#include "tether/broker.hpp"
#include "tether/call_context.hpp"
#include "tether/context.hpp"
#include "tether/errors.hpp"
#include "tether/export.hpp"
#include "tether/latch.hpp"
#include "tether/log.hpp"
#include "tether/options.hpp"
#include "tether/receiver.hpp"
#include "tether/router.hpp"
#include "tether/run_with_router.hpp"
#include "tether/secret.hpp"
#include "tether/select.hpp"
