# An INTERFACE target carrying the project's warning flags; every target of ours links it.
add_library(compactor_warnings INTERFACE)
target_compile_options(compactor_warnings INTERFACE -Wall -Wextra -Werror -Wpedantic)
install(TARGETS compactor_warnings EXPORT compactorTargets)
