// nagare shell: placeholder until the admin shell lands.
#include "common.hpp"

namespace nagare::cli {

int shell_command(const std::vector<std::string>&) {
  return fail(failed, "the admin shell is not built yet");
}

}  // namespace nagare::cli
