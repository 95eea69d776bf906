// Moved to xfr/transfer.hpp; kept until the TCP listener includes it there.
#pragma once

#include "xfr/transfer.hpp"

namespace rpdns::answer {
using xfr::TransferWriter;
}  // namespace rpdns::answer
