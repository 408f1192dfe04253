FROM alpine
RUN echo a \

# comment inside
  && echo b \