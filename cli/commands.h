/* commands.h: every subcommand's entry point (one cmd_*.c file each). */
#ifndef DRIFT_COMMANDS_H
#define DRIFT_COMMANDS_H

int cmd_info(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_elbo(int argc, char **argv);
int cmd_play(int argc, char **argv);
int cmd_devices(int argc, char **argv);
int cmd_spectrogram(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_denoise(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_dataset(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_tags(int argc, char **argv);

#endif
