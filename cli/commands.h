/* commands.h: every subcommand's entry point (one cmd_*.c file each). */
#ifndef DRIFT_COMMANDS_H
#define DRIFT_COMMANDS_H

int cmd_info(int argc, char **argv);

#endif
